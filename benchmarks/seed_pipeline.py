"""The seed report's pipeline, rebuilt faithfully from its description, as the baseline of the benchmarks.

Every tune is padded with spaces (or cut) to `max_length` by `pad_or_truncate`, encoded into one `LongTensor`
of rows, served by a `Dataset` returning `row[:-1], row[1:]` through a shuffled `DataLoader`, and trained with
`CrossEntropyLoss` over every position (padding included: the pad is a space, so the loss cannot tell it from
music), AdamW and gradient clipping at 1.0. `generate_music` samples one tune, one character per model call,
with `.item()` on each. The model is musicrnn's own `CharRNN`, so only the pipeline differs.

Useful characters are the real target characters of each row: a tune of L characters contributes
min(L, max_length) - 1 targets; the rest of the row's targets are padding the loss still pays for.

    python benchmarks/seed_pipeline.py --steps 10 --device cpu          # seed training throughput
    python benchmarks/seed_pipeline.py --prep-child DIR                 # seed data preparation (used by prep_compare)
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from common import emit, machine, peak_rss_mb
from torch import nn
from torch.utils.data import DataLoader, Dataset

MAX_LENGTH = 600
PAD = " "


def pad_or_truncate(tune: str, max_length: int = MAX_LENGTH) -> str:
    """The seed's padding: cut to max_length, or fill with spaces up to it."""
    return tune[:max_length] if len(tune) >= max_length else tune + PAD * (max_length - len(tune))


def encode_rows(tunes: list[str], char2idx: dict[str, int], max_length: int = MAX_LENGTH) -> torch.Tensor:
    """The seed's encoding: a Python list of lists of ids, then one LongTensor (rows x max_length)."""
    padded = [pad_or_truncate(t, max_length) for t in tunes]
    encoded = [[char2idx[c] for c in t] for t in padded]
    return torch.LongTensor(encoded)


def real_targets(tunes: list[str], max_length: int = MAX_LENGTH) -> torch.Tensor:
    """Real (non-padding) target characters of each row: row[1:] holds min(L, max_length) - 1 of them."""
    return torch.tensor([max(0, min(len(t), max_length) - 1) for t in tunes], dtype=torch.long)


class MusicDataset(Dataset):
    """The seed's dataset: each item is one padded row shifted by one."""

    def __init__(self, data: torch.Tensor):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i):
        row = self.data[i]
        return row[:-1], row[1:]


class CountedDataset(MusicDataset):
    """The seed's dataset plus each row's real target count, for the accounting only (not used by the loss)."""

    def __init__(self, data: torch.Tensor, real: torch.Tensor):
        super().__init__(data)
        self.real = real

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return x, y, self.real[i]


def measure_train(model_cfg, tunes: list[str], char2idx: dict[str, int], *, batch_size: int = 64, steps: int = 10,
                  warmup: int = 2, lr: float = 3e-3, max_length: int = MAX_LENGTH, device: str = "cpu",
                  seed: int = 0) -> dict:
    """Train the seed way for `warmup + steps` batches; useful (real target) chars/s over the last `steps`."""
    from musicrnn.model.network import CharRNN

    torch.manual_seed(seed)
    dev = torch.device(device)
    data = encode_rows(tunes, char2idx, max_length)
    loader = DataLoader(CountedDataset(data, real_targets(tunes, max_length)), batch_size=batch_size, shuffle=True)
    model = CharRNN(model_cfg).to(dev)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    useful = positions = 0
    done = 0
    t0 = None
    while done < warmup + steps:
        for x, y, real in loader:
            if done == warmup:
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                useful = positions = 0
            x, y = x.to(dev), y.to(dev)
            optimizer.zero_grad()
            logits, _ = model(x)
            loss = criterion(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            loss.item()  # the seed logged the running loss each step
            useful += int(real.sum())
            positions += y.numel()
            done += 1
            if done == warmup + steps:
                break
    elapsed = time.perf_counter() - t0
    return {"useful_chars_per_s": round(useful / elapsed, 1), "positions_per_s": round(positions / elapsed, 1),
            "padding_fraction": round(1 - useful / positions, 4), "rows_per_s": round(steps * batch_size / elapsed, 2),
            "steps_measured": steps, "max_length": max_length, "batch_size": batch_size}


@torch.no_grad()
def generate_music(model, char2idx: dict[str, int], idx2char: dict[int, str], start_string: str = "X:1\n",
                   length: int = 300, temperature: float = 1.0, device: str = "cpu") -> str:
    """The seed's sampler: one tune, one character per model call, `.item()` on each (a device sync)."""
    model.eval()
    input_seq = torch.tensor([char2idx[c] for c in start_string]).unsqueeze(0).to(device)
    hidden = None
    generated = start_string
    for _ in range(length):
        output, hidden = model(input_seq, hidden)
        probs = F.softmax(output[:, -1, :] / temperature, dim=-1)
        next_idx = torch.multinomial(probs, 1).item()
        generated += idx2char[next_idx]
        input_seq = torch.tensor([[next_idx]]).to(device)
    return generated


def prepare_irishman(folder: str, max_length: int = MAX_LENGTH, fraction: float = 1.0) -> dict:
    """The seed's data preparation on an IrishMAN folder: read the JSON, pad every tune, one LongTensor per split."""
    splits = {}
    for name in ("train", "validation"):
        with open(Path(folder) / f"{name}.json", encoding="utf-8") as f:
            records = json.load(f)
        splits[name] = [r["abc notation"] for r in records[: max(1, int(len(records) * fraction))]]
    chars = sorted(set("".join(splits["train"] + splits["validation"])))
    char2idx = {c: i for i, c in enumerate(chars)}
    tensors = {k: encode_rows(v, char2idx, max_length) for k, v in splits.items()}
    return {"tunes": sum(len(v) for v in splits.values()),
            "tensor_mb": round(sum(t.nbytes for t in tensors.values()) / 2**20, 1),
            "chars": sum(len(t) for v in splits.values() for t in v)}


def prep_child(folder: str, max_length: int, fraction: float) -> None:
    base = peak_rss_mb()  # torch's own import, before any data
    t0 = time.perf_counter()
    res = prepare_irishman(folder, max_length, fraction)
    emit({"wall_s": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
          "baseline_rss_mb": round(base, 1), **res})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="music21")
    p.add_argument("--embedding-dim", type=int, default=64)
    p.add_argument("--hidden-size", type=int, default=512)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-length", type=int, default=MAX_LENGTH)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--device", default="cpu")
    p.add_argument("--prep-child", metavar="DIR", help="time the seed's preparation of an IrishMAN folder")
    p.add_argument("--fraction", type=float, default=1.0)
    a = p.parse_args()
    if a.prep_child:
        prep_child(a.prep_child, a.max_length, a.fraction)
        return
    from musicrnn.data.split import load_corpus
    from musicrnn.data.vocab import Vocab
    from musicrnn.model.network import ModelConfig

    tunes = load_corpus(a.data).train
    vocab = Vocab.from_texts(tunes)
    cfg = ModelConfig(vocab_size=len(vocab), embedding_dim=a.embedding_dim, hidden_size=a.hidden_size, layers=a.layers,
                      dropout=0.0)
    res = measure_train(cfg, tunes, vocab.index, batch_size=a.batch_size, steps=a.steps, max_length=a.max_length,
                        device=a.device)
    emit({"benchmark": "seed_train_throughput", **res, "hidden_size": a.hidden_size, "data": a.data,
          "machine": machine(a.device)})


if __name__ == "__main__":
    main()
