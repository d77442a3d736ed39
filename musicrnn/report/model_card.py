"""The model card of a trained model: `card.json`, `README.md` and `curves.png` in the checkpoint folder.

Every figure is measured here, from the checkpoint and its run folder; `benchmarks/model_card.py` is the
command that calls `build_card`.
"""
from __future__ import annotations

import json
import lzma
import os
import time
from pathlib import Path

from musicrnn.data.split import load_corpus
from musicrnn.generation.endings import DEFAULT_ENDINGS, ending_options
from musicrnn.generation.options import DEFAULT_STRICT_BARS
from musicrnn.generation.prime import build_prime, known_types, type_prime
from musicrnn.generation.sampler import sample
from musicrnn.generation.scoring import LN2, evaluate_source
from musicrnn.model.checkpoint import load_model, resolve
from musicrnn.model.network import CharRNN, ModelConfig
from musicrnn.report.card_text import render_readme
from musicrnn.report.machine import machine
from musicrnn.report.quality import STYLE_TYPES, measure_seeds
from musicrnn.training.run_folder import METRICS, STATUS

LISTEN_PER_TYPE = 4
SAMPLE_PRIMES = [("reel", dict(meter="4/4", unit="1/8", key="D")), ("jig", dict(meter="6/8", unit="1/8", key="G")),
                 ("hornpipe", dict(meter="4/4", unit="1/8", key="A")),
                 ("slip jig", dict(meter="9/8", unit="1/8", key="Edor")),
                 ("waltz", dict(meter="3/4", unit="1/8", key="F")),
                 ("polka", dict(meter="2/4", unit="1/8", key="Ador"))]

def xz_bpc(train: list[str], val: list[str]) -> float:
    """Bits per character `xz -9` needs for the validation tunes given the training tunes."""
    a = "\x00".join(train).encode() + b"\x00"
    b = "\x00".join(val).encode() + b"\x00"
    both = len(lzma.compress(a + b, preset=9 | lzma.PRESET_EXTREME))
    alone = len(lzma.compress(a, preset=9 | lzma.PRESET_EXTREME))
    return (both - alone) * 8 / len(b)


def read_events(run: Path) -> list[dict]:
    """A finished run's metric events (an unreadable file or line is an error here, not skipped)."""
    return [json.loads(l) for l in (run / METRICS).read_text().splitlines() if l.strip()]


def curves_png(metrics: list[dict], path: Path, earlier: list[dict] | None = None) -> None:
    """Loss and accuracy against steps; `earlier` holds the metrics of a first stage the run was started from
    (`--init`), drawn first, with the run's steps counted on from its last."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    offset = max((e["step"] for e in earlier), default=0) if earlier else 0
    stages = [(earlier or [], 0, " (stage 1)"), (metrics, offset, " (stage 2)" if earlier else "")]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for events, off, tag in stages:
        tr = [e for e in events if e["kind"] == "train"]
        va = [e for e in events if e["kind"] == "val"]
        if not tr:
            continue
        ax1.plot([off + e["step"] for e in tr], [e["bpc"] for e in tr], label="train" + tag, lw=0.8)
        ax1.plot([off + e["step"] for e in va], [e["val_bpc"] for e in va], "o-", ms=3, label="validation" + tag)
        ax2.plot([off + e["step"] for e in tr], [e["accuracy"] for e in tr], label="train" + tag, lw=0.8)
        ax2.plot([off + e["step"] for e in va], [e["val_accuracy"] for e in va], "o-", ms=3, label="validation" + tag)
    ax1.set(xlabel="step", ylabel="bits per character", title="Loss", ylim=(1.0, 3.0))
    ax2.set(xlabel="step", ylabel="next-character accuracy", title="Accuracy")
    for ax in (ax1, ax2):
        if earlier:
            ax.axvline(offset, color="grey", lw=0.8, ls="--")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def wall_time(run: Path) -> float | None:
    """Training time over all legs of a resumed run (last.pt carries the running total), else the `--json`
    summary the train command printed (train.log)."""
    import torch

    try:
        return round(torch.load(run / "last.pt", weights_only=True)["trainer"]["elapsed_s"], 1)
    except (OSError, KeyError, RuntimeError):
        pass
    try:
        log = (run / "train.log").read_text()
        return round(json.loads(log[log.index("{"):])["elapsed_s"], 1)
    except (OSError, ValueError, KeyError):
        return None


def sample_s(model, vocab, n: int, seed: int, strict_bars: bool = False, chars: int = 300) -> float:
    """Seconds to sample `n` tunes of `chars` characters in one batch."""
    t0 = time.perf_counter()
    sample(model, vocab, n, seed=seed, max_chars=chars, stop_at_eos=False, strict_bars=strict_bars)
    return time.perf_counter() - t0


def sample_times(model, vocab, n: int, repeats: int) -> list[float]:
    """Seconds to sample `n` tunes of 300 characters, `repeats` times after a warm-up."""
    sample_s(model, vocab, n, 0, chars=20)
    return sorted(sample_s(model, vocab, n, r) for r in range(repeats))


def one_tune_s(model_cfg: dict, vocab) -> float:
    """CPU seconds for one 300-character tune from a model of this shape (median of 5; weights are random, the
    time depends on the shape alone)."""
    model = CharRNN(ModelConfig(**{**model_cfg, "vocab_size": len(vocab), "dropout": 0.0}), vocab.tokens).eval()
    return round(sample_times(model, vocab, 1, 5)[2], 3)


def sweep_table(folders: list[tuple[str, Path]], extra: list[dict], vocab) -> list[dict]:
    """One row per run of the sweep (`benchmarks/sweep_default.sh`): shape, data, best validation bpc (the
    trainer's figure on the validation stream) and CPU sampling time. `extra` holds runs known only from their
    logs (summary lines of runs whose folders did not come back from the GPU machine)."""
    rows = []
    for label, folder in folders:
        for run in sorted(p for p in folder.iterdir() if (p / STATUS).is_file()):
            st = json.loads((run / STATUS).read_text())
            if st.get("best_val_loss") is None:
                continue
            rows.append({"round": label, "name": run.name, "data": st["config"]["data"],
                         "model": {k: st["model"][k] for k in ("cell", "layers", "hidden_size", "embedding_dim",
                                                               "dropout")},
                         "parameters": st.get("parameters"), "best_val_bpc": round(st["best_val_loss"] / LN2, 4),
                         "best_step": st.get("best_step"), "status": st.get("status")})
    order = [label for label, _ in folders]
    rows = sorted(rows + extra, key=lambda r: (order.index(r["round"]) if r["round"] in order else len(order),
                                               r["best_val_bpc"]))
    for r in rows:
        r["cpu_one_tune_s"] = one_tune_s(r["model"], vocab)
    return rows


def speed(model, vocab) -> dict:
    """Sampling times of 300-character tunes, 1 and 16 at once (median of 9 and range), plain and with bars kept
    to the meter (`strict_bars`), the two measured in turn so that a busy machine slows both alike."""
    out = {}
    for n in (1, 16):
        for strict in (False, True):
            sample_s(model, vocab, n, 0, strict, chars=20)  # warm-up
        times: dict[bool, list[float]] = {False: [], True: []}
        for r in range(9):
            for strict in (False, True):
                times[strict].append(sample_s(model, vocab, n, r, strict))
        for strict, name in ((False, ""), (True, "_strict")):
            t = sorted(times[strict])
            out[f"tunes_{n}_300_chars{name}_s"] = round(t[4], 3)
            out[f"tunes_{n}_300_chars{name}_range_s"] = [round(t[0], 3), round(t[-1], 3)]
    return out


def build_card(checkpoint: str, run: str, data: str, command: str, *, music_n: int = 64,
               sweep: list[tuple[str, Path]] = (), sweep_extra: list[dict] = (), selection_text: str = "",
               hardware_note: str = "", earlier_run: str | None = None) -> dict:
    """Measure everything the card shows and write `card.json`, `README.md` and `curves.png` beside the
    checkpoint; returns the card."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    folder = Path(checkpoint)
    model, vocab, ckpt = load_model(checkpoint, "cpu")
    run = Path(run)
    status = json.loads((run / STATUS).read_text())
    metrics = read_events(run)
    val_fraction = ckpt["train_config"].get("val_fraction", 0.05)
    corpus = load_corpus(data, val_fraction=val_fraction)

    evaluation = evaluate_source(model, vocab, data, val_fraction=val_fraction)
    xz = xz_bpc(corpus.train, corpus.val)
    dance = evaluate_source(model, vocab, "music21:dance", val_fraction=val_fraction) \
        if data == "music21" else None
    earlier = None
    if earlier_run:
        earlier = read_events(Path(earlier_run))
    curves_png(metrics, folder / "curves.png", earlier)
    val_events = [e for e in metrics if e["kind"] == "val"]
    sweep = sweep_table(list(sweep), list(sweep_extra), vocab)
    for r in sweep:
        r["shipped"] = r["model"] == {k: ckpt["model_config"][k] for k in r["model"]} and r["data"] == data \
            and abs(r["best_val_bpc"] - status["best_val_loss"] / LN2) < 1e-4  # the table rounds to 4 places
    card = {
        "name": "musicrnn default",
        "checkpoint": str(resolve(checkpoint).name),
        "file_mb": round(resolve(checkpoint).stat().st_size / 2**20, 2),
        "model": ckpt["model_config"], "parameters": model.num_parameters(),
        "training": {"command": command, "config": ckpt["train_config"], "hardware": status.get("device"),
                     "hardware_note": hardware_note,
                     "machine": machine("cpu"), "steps": status.get("step"), "best_step": status.get("best_step"),
                     "status": status.get("status"),
                     "wall_time_s": wall_time(run),
                     "last_val_event": val_events[-1] if val_events else None},
        "data": ckpt["data"],
        "validation": {"bpc": evaluation["bpc"], "loss": evaluation["loss"], "accuracy": evaluation["accuracy"],
                       "chars": evaluation["chars"], "tunes": evaluation["tunes"], "xz9_bpc": xz,
                       "command": f"python -m musicrnn evaluate --checkpoint {checkpoint} --data {data} --json"},
        "selection": {"text": selection_text.strip(),
                      "sweep": sweep},
        "speed": speed(model, vocab),
    } | music_sections(checkpoint, data, music_n)
    if dance is not None:
        card["validation"]["dance"] = {k: dance[k] for k in ("bpc", "loss", "accuracy", "chars", "tunes")}
    (folder / "card.json").write_text(json.dumps(card, indent=1))
    (folder / "README.md").write_text(render_readme(card))

    return card


def music_sections(checkpoint, data: str, music_n: int = 64) -> dict:
    """The card's sampled music: seeds 1 and 2 with the endings and bars `generate` and the studio use by default
    (`music`, `music_seed2`), the same as the model writes them (`music_raw`: its own endings and bars, no
    mask), the same with the other choice of `strict_bars` (`music_strict_option`), the checkpoint's fitted endings
    (`endings`), one sample per type at temperature 0.9, and four tunes per type for listening, each as its
    `generate` command writes it."""
    model, vocab, ckpt = load_model(checkpoint, "cpu")
    music, music2 = measure_seeds(checkpoint, data, n=music_n, temperature=1.0, seeds=(1, 2), max_chars=1500,
                                  endings=DEFAULT_ENDINGS, strict_bars=DEFAULT_STRICT_BARS)["per_seed"]
    raw = measure_seeds(checkpoint, data, n=music_n, temperature=1.0, seeds=(1, 2), max_chars=1500,
                        endings="model", strict_bars=False)["per_seed"]
    strict = measure_seeds(checkpoint, data, n=music_n, temperature=1.0, seeds=(1, 2), max_chars=1500,
                           endings=DEFAULT_ENDINGS, strict_bars=not DEFAULT_STRICT_BARS)["per_seed"]
    known = known_types(ckpt.get("data"))
    samples = []
    for i, (name, prime) in enumerate(SAMPLE_PRIMES):
        seed = 100 + i
        text = type_prime(name, ckpt.get("data"), key=prime["key"]) if name in known else build_prime(**prime)
        s = sample(model, vocab, 1, prime=text, temperature=0.9, seed=seed, max_chars=1500,
                   strict_bars=DEFAULT_STRICT_BARS, **ending_options(ckpt, name if name in known else None))[0]
        samples.append({"type": name, "prime": text, "seed": seed, "temperature": 0.9, "abc": s.text,
                        "ended": s.ended})
    listening = []  # what `generate --type T --seed S --temperature 1.0 --max-chars 1500` writes
    for name in [t for t in STYLE_TYPES if t in known]:
        for seed in range(1, LISTEN_PER_TYPE + 1):
            s = sample(model, vocab, 1, prime=type_prime(name, ckpt.get("data")), temperature=1.0, seed=seed,
                       max_chars=1500, strict_bars=DEFAULT_STRICT_BARS, **ending_options(ckpt, name))[0]
            listening.append({"type": name, "seed": seed, "abc": s.text, "ended": s.ended})
    return {"music": music, "music_seed2": music2, "music_raw": raw, "music_strict_option": strict,
            "endings": ckpt.get("endings") or {},
            "samples": samples, "listening": listening}


def refresh_music(checkpoint, data: str = "music21", music_n: int = 64) -> dict:
    """Measure the card's music sections and sampling speed again (`music_sections`, `speed`) and rewrite its
    `card.json` and `README.md`, keeping the rest: for a change to the sampler or the endings fit, when the
    weights stay the same."""
    folder = resolve(checkpoint).parent
    card = json.loads((folder / "card.json").read_text())
    card.pop("music_end_on_final", None)  # the one-redraw figures the fitted endings replaced
    card |= music_sections(checkpoint, data, music_n)
    card["speed"] = card.get("speed", {}) | speed(*load_model(checkpoint, "cpu")[:2])
    (folder / "card.json").write_text(json.dumps(card, indent=1))
    (folder / "README.md").write_text(render_readme(card))
    return card
