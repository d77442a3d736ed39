"""Command line: `python -m musicrnn {stats,train,generate,evaluate,download,check,render}`.

`--json` prints one JSON document on stdout and nothing else; errors go to stderr with a non-zero exit.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from musicrnn.errors import MusicRNNError

EXIT_ERROR = 2


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=1, default=str) + "\n")


def cmd_stats(args) -> int:
    from musicrnn.corpus import load_corpus
    from musicrnn.stats import corpus_stats

    corpus = load_corpus(args.data)
    stats = corpus_stats(corpus.all_tunes, max_len=args.max_len)
    stats["source"] = corpus.describe()
    if args.json:
        _print_json(stats)
        return 0
    d, L = corpus.describe(), stats["length"]
    pad = stats["padding"]
    print(f"source        {d['source']}  (split {d['split']}: {d['train_tunes']} train, {d['val_tunes']} validation)")
    print(f"tunes         {stats['tunes']}")
    print(f"characters    {stats['characters']}  ({stats['unique_characters']} unique)")
    print(f"length        min {L['min']}  median {L['median']:.0f}  mean {L['mean']:.1f}  p95 {L['p95']:.0f}  max {L['max']}")
    print(f"pad to {pad['max_len']:<6} {pad['padding_fraction']:.1%} of positions are padding, "
          f"{pad['truncated_fraction']:.1%} of tunes cut")
    for name, key in (("meters", "meters"), ("keys", "keys"), ("unit lengths", "unit_lengths")):
        top = list(stats[key].items())[:8]
        print(f"{name:<13} " + "  ".join(f"{k}:{v}" for k, v in top))
    c = d["cleaning"]
    print(f"cleaning      kept {c['tunes_kept']} of {c['tunes_in']} tunes; dropped {c['dropped']}; "
          f"fields removed {sum(c['fields_dropped'].values())}; changes {c['changed']}")
    return 0


def _progress_callback(total_hint: int | None):
    from tqdm import tqdm

    bar = tqdm(total=total_hint, unit="step", dynamic_ncols=True, file=sys.stderr,
               disable=None)  # disable=None: off when stderr is not a terminal

    def cb(ev: dict) -> None:
        kind = ev.get("kind")
        if kind == "status" and ev.get("total_steps"):
            bar.total = ev["total_steps"]
            bar.n = ev.get("step", 0)
            bar.refresh()
        elif kind == "train":
            bar.n = ev["step"]
            bar.set_postfix(loss=f"{ev['train_loss']:.3f}", bpc=f"{ev['bpc']:.2f}",
                            cps=f"{ev['chars_per_s']:.0f}", eta=f"{ev['eta_s'] / 60:.1f}m", refresh=False)
            bar.refresh()
        elif kind == "val":
            bar.write(f"step {ev['step']}: val_loss {ev['val_loss']:.4f}  val_bpc {ev['val_bpc']:.3f}  "
                      f"val_acc {ev['val_accuracy']:.3f}")
        elif kind == "status" and ev.get("status") not in ("running", None):
            bar.close()

    return cb


def cmd_train(args) -> int:
    from musicrnn.train import configs_from_preset, train

    model_over = dict(cell=args.cell, embedding_dim=args.embedding_dim, hidden_size=args.hidden_size,
                      layers=args.layers, dropout=args.dropout)
    train_over = dict(data=args.data, out=args.out, batch_size=args.batch_size, seq_len=args.seq_len, lr=args.lr,
                      epochs=args.epochs, max_steps=args.max_steps, patience=args.patience, device=args.device,
                      eval_every=args.eval_every, seed=args.seed, schedule=args.schedule,
                      tensorboard=args.tensorboard or None, val_fraction=args.val_fraction, init=args.init,
                      windows=args.windows)
    try:
        model_cfg, cfg = configs_from_preset(args.preset, model_over, train_over)
    except ValueError as e:
        raise MusicRNNError(str(e)) from None
    cb = None if args.json else _progress_callback(cfg.max_steps)
    stop = threading.Event()

    def on_sigint(signum, frame):
        if stop.is_set():  # a second Ctrl-C: leave now
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping after this step (saving last.pt); Ctrl-C again to leave at once", file=sys.stderr)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_sigint)
    try:
        overrides = None
        if args.resume:
            from musicrnn.train import RESUMABLE

            overrides = {k: v for k, v in train_over.items() if k in RESUMABLE and v is not None}
        summary = train(model_cfg, cfg, callback=cb, stop_event=stop, resume=args.resume,
                        resume_overrides=overrides)
    except KeyboardInterrupt:
        print(f"\nstopped; resume with: python -m musicrnn train --out {cfg.out} --resume", file=sys.stderr)
        return 130
    if os.environ.get("RANK", "0") != "0":
        return 0  # under torchrun, rank 0 reports for everyone
    if args.json:
        _print_json(summary)
    else:
        if summary["status"] == "stopped":
            print(f"resume with: python -m musicrnn train --out {cfg.out} --resume", file=sys.stderr)
        print(f"{summary['status']} after {summary['step']} steps: best val bpc {summary['best_val_bpc']:.3f} "
              f"(step {summary['best_step']}); checkpoint {cfg.out}/best.pt", file=sys.stderr)
    return 0


def cmd_generate(args) -> int:
    import torch

    from musicrnn.checkpoint import load_model
    from musicrnn.model import pick_device
    from musicrnn.sample import build_prime, sample

    device = pick_device(args.device)
    model, vocab, _ = load_model(args.checkpoint, device)
    prime = build_prime(meter=args.meter, unit=args.unit, key=args.key, start=args.prime)
    seed = args.seed if args.seed is not None else int(torch.randint(0, 2**31 - 1, (1,)).item())
    tunes = sample(model, vocab, args.n, prime=prime, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p, seed=seed, max_chars=args.max_chars)
    if args.json:
        _print_json([{"index": i, "abc": t.text, "ended": t.ended, "seed": seed, "temperature": args.temperature,
                      "top_k": args.top_k, "top_p": args.top_p, "prime": prime} for i, t in enumerate(tunes)])
    else:
        print(f"% seed {seed}, temperature {args.temperature}", file=sys.stderr)
        print("\n\n".join(t.text.rstrip("\n") for t in tunes))
    return 0


def cmd_evaluate(args) -> int:
    from musicrnn.checkpoint import load_model
    from musicrnn.evaluate import evaluate_source
    from musicrnn.model import pick_device

    model, vocab, ckpt = load_model(args.checkpoint, pick_device(args.device))
    val_fraction = ckpt.get("train_config", {}).get("val_fraction", 0.05)
    res = evaluate_source(model, vocab, args.data, split=args.split, val_fraction=val_fraction)
    res["checkpoint"] = ckpt["path"]
    if args.json:
        _print_json(res)
    else:
        print(f"{res['source']} ({res['split']}): {res['tunes']} tunes, {res['chars']} characters; bpc {res['bpc']:.4f}  "
              f"loss {res['loss']:.4f}  accuracy {res['accuracy']:.4f}  skipped characters {res['skipped_chars']}")
    return 0


def cmd_download(args) -> int:
    from tqdm import tqdm

    from musicrnn.download import download_irishman

    bars = []

    def factory(name):
        bar = tqdm(desc=name, unit="B", unit_scale=True, file=sys.stderr, disable=None)
        bars.append(bar)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        return progress

    counts = download_irishman(args.dest, factory)
    for b in bars:
        b.close()
    if args.json:
        _print_json({"dest": args.dest, "tunes": counts})
    else:
        print(f"IrishMAN saved in {args.dest}: " + ", ".join(f"{k} {v} tunes" for k, v in counts.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicrnn", description="Character-level RNN for folk tunes in ABC notation.")
    sub = p.add_subparsers(dest="command", required=True)
    data_help = "music21 (bundled tunes, default), music21:dance (their dance-tune part), an IrishMAN folder or .json, or an .abc file or folder"

    s = sub.add_parser("stats", help="corpus statistics")
    s.add_argument("--data", default="music21", help=data_help)
    s.add_argument("--max-len", type=int, default=600, help="max length for the padding-waste figure")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)

    t = sub.add_parser("train", help="train a model")
    t.add_argument("--data", default=None, help=data_help)
    t.add_argument("--out", default=None, help="run folder (default runs/default)")
    t.add_argument("--preset", choices=["tiny", "cpu", "gpu"], default=None)
    t.add_argument("--cell", choices=["lstm", "gru"], default=None)
    for name, typ in (("--embedding-dim", int), ("--hidden-size", int), ("--layers", int), ("--dropout", float),
                      ("--batch-size", int), ("--seq-len", int), ("--lr", float), ("--epochs", float),
                      ("--max-steps", int), ("--patience", int), ("--eval-every", int), ("--seed", int),
                      ("--val-fraction", float)):
        t.add_argument(name, type=typ, default=None)
    t.add_argument("--schedule", choices=["cosine", "plateau", "constant"], default=None)
    t.add_argument("--windows", choices=["random", "tunes"], default=None,
                   help="random: windows anywhere in the joined tunes (default); tunes: whole tunes from their "
                        "start, long ones in --seq-len chunks with the state carried")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    t.add_argument("--init", default=None,
                   help="start from this checkpoint's weights and shape (fine-tuning), e.g. checkpoints/default")
    t.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, mps")
    t.add_argument("--tensorboard", action="store_true", help="also write TensorBoard logs (needs tensorboard)")
    t.add_argument("--json", action="store_true", help="print the summary as JSON, no progress bar")
    t.set_defaults(func=cmd_train)

    g = sub.add_parser("generate", help="sample tunes from a checkpoint")
    g.add_argument("--checkpoint", default=None, help="file or folder (default: checkpoints/default)")
    g.add_argument("-n", type=int, default=1, help="number of tunes (sampled together in one batch)")
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-k", type=int, default=None)
    g.add_argument("--top-p", type=float, default=None)
    g.add_argument("--seed", type=int, default=None, help="fixed seed: identical output on the same device")
    g.add_argument("--meter", default=None, help="e.g. 6/8")
    g.add_argument("--unit", default=None, help="unit note length, e.g. 1/8")
    g.add_argument("--key", default=None, help="e.g. D, Ador, Em")
    g.add_argument("--prime", default=None, help="ABC to continue (body, or a whole header starting X:)")
    g.add_argument("--max-chars", type=int, default=1000)
    g.add_argument("--device", default="auto")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_generate)

    e = sub.add_parser("evaluate", help="bits per character on a source's validation split (or all of an .abc)")
    e.add_argument("--checkpoint", default=None)
    e.add_argument("--data", default="music21", help=data_help)
    e.add_argument("--split", choices=["val", "all"], default=None, help="default: val, or all for .abc sources")
    e.add_argument("--device", default="auto")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)

    d = sub.add_parser("download", help="fetch a corpus")
    d.add_argument("what", choices=["irishman"])
    d.add_argument("--dest", default="data/irishman")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_download)

    try:
        from musicrnn import cli_music
    except ImportError:  # the music layer is optional for the training commands
        cli_music = None
    if cli_music is not None:
        cli_music.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "data", "x") is None and args.command == "train" and not getattr(args, "resume", False):
        args.data = "music21"
    if getattr(args, "out", "x") is None:
        args.out = "runs/default"
    try:
        return args.func(args)
    except MusicRNNError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as e:  # bad option values (temperature 0, unknown device...)
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
