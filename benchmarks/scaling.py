"""Figure 5: how training time per epoch and sampling time grow with hidden size and with corpus size.

- Hidden size (256, 512, 1024; embedding, layers, batch and window of the `cpu` preset): musicrnn's useful
  chars/s and the seed pipeline's, turned into seconds per epoch of the embedded corpus; and the time to
  sample 16 tunes of 300 characters (an untrained model, all 300 steps run: speed does not depend on the
  weights), musicrnn batched against the seed's loop (timed on 2 tunes, scaled to 16: it is sequential).
- Corpus size (IrishMAN-format corpora of N tunes built from the embedded ones): preparation time and
  musicrnn's seconds per epoch at the preset's hidden size; the seed's epoch is rows / its rows per second.
Writes a PNG plot (`--plot`).

    python benchmarks/scaling.py --device cpu --plot benchmarks/scaling.png
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import emit, machine


def _sample_times(vocab, hidden: int, sizes: dict, dev, n: int, chars: int, seed_tunes: int) -> tuple:
    import torch
    from sampling import _sync
    from seed_pipeline import generate_music

    from musicrnn.generation.sampler import sample
    from musicrnn.model.network import CharRNN, ModelConfig

    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=len(vocab), embedding_dim=sizes["embedding_dim"], hidden_size=hidden,
                                layers=sizes["layers"], dropout=0.0)).to(dev).eval()
    sample(model, vocab, 2, max_chars=10)
    _sync(dev)
    t0 = time.perf_counter()
    sample(model, vocab, n, max_chars=chars, stop_at_eos=False)
    _sync(dev)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(seed_tunes):
        generate_music(model, vocab.index, dict(enumerate(vocab.tokens)), "X:1\n", length=chars, device=str(dev))
    _sync(dev)
    seed = (time.perf_counter() - t0) * n / seed_tunes
    return ours, seed


def run(device="auto", hidden_sizes=(256, 512, 1024), corpus_tunes=(3000, 13000, 53000, 214122), steps=20,
        seed_steps=4, corpus_steps=10, sample_n=16, sample_chars=300, seed_sample_tunes=2, preset="cpu",
        data="music21", plot=None) -> dict:
    import torch
    from data_prep import make_irishman
    from seed_pipeline import measure_train
    from train_compare import measure_musicrnn, model_sizes

    from musicrnn.data.split import load_corpus
    from musicrnn.data.stream import prepare
    from musicrnn.model.device import pick_device
    from musicrnn.model.network import ModelConfig

    dev = pick_device(device)
    sizes = model_sizes(preset)
    prepared = prepare(data)
    train_chars = prepared.description["train_chars"]
    corpus = load_corpus(data)
    by_hidden = []
    for h in hidden_sizes:
        s = {**sizes, "hidden_size": h}
        ours = measure_musicrnn(data, s, steps, str(dev))["useful_chars_per_s"]
        row = {"hidden_size": h, "musicrnn_chars_per_s": ours, "musicrnn_epoch_s": round(train_chars / ours, 1)}
        if seed_steps:
            cfg = ModelConfig(vocab_size=len(prepared.vocab), embedding_dim=s["embedding_dim"], hidden_size=h,
                              layers=s["layers"], dropout=s["dropout"])
            seed = measure_train(cfg, corpus.train, prepared.vocab.index, batch_size=s["batch_size"],
                                 steps=seed_steps, warmup=1, device=str(dev))
            row.update(seed_rows_per_s=seed["rows_per_s"], seed_useful_chars_per_s=seed["useful_chars_per_s"],
                       seed_epoch_s=round(len(corpus.train) / seed["rows_per_s"], 1))
        ours_s, seed_s = _sample_times(prepared.vocab, h, sizes, dev, sample_n, sample_chars, seed_sample_tunes)
        row.update(sample_musicrnn_s=round(ours_s, 3), sample_seed_s=round(seed_s, 3))
        by_hidden.append(row)

    # Corpus size: a fresh cache so preparation is measured, then the trainer reuses it.
    by_corpus = []
    old_cache = os.environ.get("MUSICRNN_CACHE")
    seed_rows = next((r.get("seed_rows_per_s") for r in by_hidden if r["hidden_size"] == sizes["hidden_size"]), None)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MUSICRNN_CACHE"] = str(Path(tmp) / "cache")
        try:
            for n in corpus_tunes:
                folder = make_irishman(n, Path(tmp) / f"irishman{n}")
                t0 = time.perf_counter()
                p = prepare(str(folder))
                prep_s = time.perf_counter() - t0
                chars = p.description["train_chars"]
                ours = measure_musicrnn(str(folder), sizes, corpus_steps, str(dev))["useful_chars_per_s"]
                row = {"tunes": n, "train_chars": chars, "prep_s": round(prep_s, 2), "musicrnn_chars_per_s": ours,
                       "musicrnn_epoch_s": round(chars / ours, 1)}
                if seed_rows:
                    row["seed_epoch_s"] = round(p.description["train_tunes"] / seed_rows, 1)
                by_corpus.append(row)
                del p
        finally:
            if old_cache is None:
                os.environ.pop("MUSICRNN_CACHE", None)
            else:
                os.environ["MUSICRNN_CACHE"] = old_cache
    res = {"benchmark": "scaling", "device": str(dev), "preset": preset, "sizes": sizes, "data": data,
           "train_chars": train_chars, "steps": steps, "seed_steps": seed_steps, "corpus_steps": corpus_steps,
           "sample_n": sample_n, "sample_chars": sample_chars, "by_hidden": by_hidden, "by_corpus": by_corpus,
           "torch_threads": torch.get_num_threads()}
    if plot:
        draw(res, plot)
        res["plot"] = str(plot)
    res["machine"] = machine(str(dev))
    return res


def draw(res: dict, path) -> None:
    """Three panels: epoch time vs hidden size, epoch time vs corpus size, sampling time vs hidden size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
    hid = [r["hidden_size"] for r in res["by_hidden"]]
    ax[0].plot(hid, [r["musicrnn_epoch_s"] / 60 for r in res["by_hidden"]], "o-", label="musicrnn")
    if all("seed_epoch_s" in r for r in res["by_hidden"]):
        ax[0].plot(hid, [r["seed_epoch_s"] / 60 for r in res["by_hidden"]], "s--", label="seed pipeline")
    ax[0].set(xlabel="hidden size", ylabel="minutes per epoch", xscale="log", yscale="log",
              title=f"Training, embedded corpus ({res['train_chars'] / 1e6:.1f} M chars)")
    ax[0].set_xticks(hid, [str(h) for h in hid])
    if res["by_corpus"]:
        ch = [r["train_chars"] / 1e6 for r in res["by_corpus"]]
        ax[1].plot(ch, [r["musicrnn_epoch_s"] / 60 for r in res["by_corpus"]], "o-", label="musicrnn epoch")
        if all("seed_epoch_s" in r for r in res["by_corpus"]):
            ax[1].plot(ch, [r["seed_epoch_s"] / 60 for r in res["by_corpus"]], "s--", label="seed epoch")
        ax[1].plot(ch, [r["prep_s"] / 60 for r in res["by_corpus"]], "^:", label="musicrnn preparation")
        ax[1].set(xlabel="training characters (millions)", ylabel="minutes", xscale="log", yscale="log",
                  title=f"Corpus size, hidden {res['sizes']['hidden_size']}")
    ax[2].plot(hid, [r["sample_musicrnn_s"] for r in res["by_hidden"]], "o-", label="musicrnn (one batch)")
    ax[2].plot(hid, [r["sample_seed_s"] for r in res["by_hidden"]], "s--", label="seed generate_music")
    ax[2].set(xlabel="hidden size", ylabel="seconds", xscale="log", yscale="log",
              title=f"Sampling {res['sample_n']} tunes x {res['sample_chars']} chars")
    ax[2].set_xticks(hid, [str(h) for h in hid])
    for a in ax:
        a.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        a.grid(True, which="both", alpha=0.3)
        a.legend()
    m = res.get("machine") or machine(res["device"])
    fig.suptitle(f"musicrnn scaling on {res['device']} ({m.get('gpu') or m.get('cpu')}, "
                 f"{m.get('torch_threads')} thread(s))")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ints(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--data", default="music21")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--hidden-sizes", default="256,512,1024")
    p.add_argument("--corpus-tunes", default="3000,13000,53000,214122", help="IrishMAN-format corpus sizes (tunes)")
    p.add_argument("--steps", type=int, default=20, help="musicrnn steps per hidden size (half measured)")
    p.add_argument("--seed-steps", type=int, default=4, help="seed steps per hidden size (0: leave the seed out)")
    p.add_argument("--corpus-steps", type=int, default=10, help="musicrnn steps per corpus size (half measured)")
    p.add_argument("--sample-n", type=int, default=16)
    p.add_argument("--sample-chars", type=int, default=300)
    p.add_argument("--plot", default=None, help="PNG to write")
    a = p.parse_args()
    emit(run(a.device, _ints(a.hidden_sizes), _ints(a.corpus_tunes), a.steps, a.seed_steps, a.corpus_steps,
             a.sample_n, a.sample_chars, preset=a.preset, data=a.data, plot=a.plot))


if __name__ == "__main__":
    main()
