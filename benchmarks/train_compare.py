"""Figure 1: training throughput, musicrnn's trainer against the seed pipeline, same model, batch and machine.

Both count useful characters: real target characters, never padding. musicrnn trains on windows of the
<eos>-joined stream (no padding at all); the seed pads every tune to 600 and pays for every position.
On CUDA, `--precision both` adds musicrnn in fp32 next to its bf16 autocast, and `epoch_62M_s` gives the
time of one IrishMAN-sized epoch (62 M characters) at the measured rate.

    python benchmarks/train_compare.py --preset cpu --steps 40 --seed-steps 10 --device cpu
    python benchmarks/train_compare.py --preset gpu --steps 100 --seed-steps 20 --device cuda --precision both
"""
from __future__ import annotations

import argparse
import contextlib

from common import emit, machine

IRISHMAN_CHARS = 62_000_000
GOAL = 2.5


def model_sizes(preset: str | None, **overrides) -> dict:
    """Model and batch sizes: a musicrnn preset, then explicit overrides (None values are ignored)."""
    from musicrnn.training.config import PRESETS

    m, t = PRESETS.get(preset, ({}, {})) if preset else ({}, {})
    sizes = {"embedding_dim": m.get("embedding_dim", 64), "hidden_size": m.get("hidden_size", 512),
             "layers": m.get("layers", 1), "dropout": m.get("dropout", 0.0), "batch_size": t.get("batch_size", 64),
             "seq_len": t.get("seq_len", 128)}
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    return sizes


def measure_musicrnn(data: str, sizes: dict, steps: int, device: str, fp32: bool = False) -> dict:
    """musicrnn's own trainer (train_throughput.measure); `fp32` turns off its bf16 autocast on CUDA."""
    from train_throughput import measure

    import musicrnn.training.loop

    saved = musicrnn.training.loop.autocast
    if fp32:
        # The trainer has no precision switch (always bf16 on CUDA); swapping its autocast is the fp32 run.
        musicrnn.training.loop.autocast = lambda dev: contextlib.nullcontext()
    try:
        return measure(data, "lstm", sizes["embedding_dim"], sizes["hidden_size"], sizes["layers"],
                       sizes["batch_size"], sizes["seq_len"], steps, device, dropout=sizes["dropout"])
    finally:
        musicrnn.training.loop.autocast = saved


def run(data="music21", preset="cpu", steps=40, seed_steps=10, device="cpu", precision="bf16", **overrides) -> dict:
    import torch
    from seed_pipeline import measure_train

    from musicrnn.data.split import load_corpus
    from musicrnn.data.vocab import Vocab
    from musicrnn.model.device import pick_device
    from musicrnn.model.network import ModelConfig

    dev = str(pick_device(device))
    sizes = model_sizes(preset, **overrides)
    ours = measure_musicrnn(data, sizes, steps, dev)
    corpus = load_corpus(data)
    tunes = corpus.train  # the same cleaned training tunes musicrnn's stream holds
    vocab = Vocab.from_texts(corpus.all_tunes)
    cfg = ModelConfig(vocab_size=len(vocab), embedding_dim=sizes["embedding_dim"], hidden_size=sizes["hidden_size"],
                      layers=sizes["layers"], dropout=sizes["dropout"])
    seed = measure_train(cfg, tunes, vocab.index, batch_size=sizes["batch_size"], steps=seed_steps, device=dev)
    res = {"benchmark": "train_compare", "data": data, "preset": preset, **sizes, "device": dev,
           "musicrnn_useful_chars_per_s": ours["useful_chars_per_s"], "musicrnn_steps_measured": ours["steps_measured"],
           "seed_useful_chars_per_s": seed["useful_chars_per_s"], "seed_positions_per_s": seed["positions_per_s"],
           "seed_padding_fraction": seed["padding_fraction"], "seed_steps_measured": seed["steps_measured"],
           "seed_max_length": seed["max_length"],
           "speedup": round(ours["useful_chars_per_s"] / seed["useful_chars_per_s"], 2), "goal_speedup": GOAL,
           "precision": "musicrnn bf16 autocast, seed fp32" if dev.startswith("cuda") else "fp32"}
    res["goal_met"] = res["speedup"] >= GOAL
    res["musicrnn_epoch_62M_s"] = round(IRISHMAN_CHARS / ours["useful_chars_per_s"], 1)
    if dev.startswith("cuda") and precision == "both":
        fp32 = measure_musicrnn(data, sizes, steps, dev, fp32=True)
        res["musicrnn_fp32_useful_chars_per_s"] = fp32["useful_chars_per_s"]
        res["bf16_over_fp32"] = round(ours["useful_chars_per_s"] / fp32["useful_chars_per_s"], 2)
    res["torch_threads"] = torch.get_num_threads()
    res["machine"] = machine(dev)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="music21")
    p.add_argument("--preset", default="cpu", help="model and batch sizes of a musicrnn preset (cpu, gpu, tiny)")
    p.add_argument("--embedding-dim", type=int)
    p.add_argument("--hidden-size", type=int)
    p.add_argument("--layers", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--seq-len", type=int)
    p.add_argument("--steps", type=int, default=40, help="musicrnn steps (half warm-up, half measured)")
    p.add_argument("--seed-steps", type=int, default=10, help="seed steps measured (after 2 warm-up steps)")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", choices=["bf16", "both"], default="bf16",
                   help="on CUDA, 'both' also measures musicrnn in fp32")
    a = p.parse_args()
    emit(run(a.data, a.preset, a.steps, a.seed_steps, a.device, a.precision, embedding_dim=a.embedding_dim,
             hidden_size=a.hidden_size, layers=a.layers, batch_size=a.batch_size, seq_len=a.seq_len))


if __name__ == "__main__":
    main()
