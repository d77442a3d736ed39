"""The shipped model, loaded once for the generation tests (none of them changes its weights)."""
import pytest
import torch

from musicrnn.model.checkpoint import load_model


@pytest.fixture(scope="package")
def shipped_checkpoint():
    """(model, vocabulary, checkpoint) of `checkpoints/default`, sampling on one thread as the app does."""
    torch.set_num_threads(1)
    return load_model("checkpoints/default")


@pytest.fixture
def shipped(shipped_checkpoint):
    """(model, vocabulary) of the shipped model."""
    return shipped_checkpoint[:2]
