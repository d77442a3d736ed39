"""The layer-by-layer run is the network's own computation, for both cell types."""
import pytest
import torch

from musicrnn.inspection.states import run_layers
from musicrnn.model.network import CharRNN, ModelConfig


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_layers_states_are_the_steps_states(cell):
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=20, cell=cell, embedding_dim=8, hidden_size=16, layers=3)).eval()
    x = torch.randint(0, 20, (3, 25))
    logits, states = run_layers(model, x)
    assert states.shape == (3, 25, 3, 2 if cell == "lstm" else 1, 16)
    with torch.inference_mode():
        assert torch.allclose(logits, model(x)[0], atol=1e-5)
        state = None
        for t in range(25):
            _, state = model.step(x[:, t], state)
            h = state[0] if cell == "lstm" else state
            assert torch.allclose(states[:, t, :, 0], h.transpose(0, 1), atol=1e-5)
            if cell == "lstm":
                assert torch.allclose(states[:, t, :, 1], state[1].transpose(0, 1), atol=1e-5)
