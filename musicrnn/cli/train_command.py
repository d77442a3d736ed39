"""`train`: a model from a corpus, with a progress bar, Ctrl-C to stop cleanly, `--resume` to go on."""
from __future__ import annotations

import os
import signal
import sys
import threading

from musicrnn.cli.corpus_commands import DATA_HELP
from musicrnn.cli.output import EXIT_INTERRUPTED, print_json
from musicrnn.errors import MusicRNNError


def add_commands(sub) -> None:
    t = sub.add_parser("train", help="train a model")
    t.add_argument("--data", default=None, help=DATA_HELP)
    t.add_argument("--out", default=None, help="run folder (default runs/default)")
    t.add_argument("--preset", choices=["tiny", "cpu", "gpu"], default=None)
    t.add_argument("--cell", choices=["lstm", "gru"], default=None)
    for name, typ in (("--embedding-dim", int), ("--hidden-size", int), ("--layers", int), ("--dropout", float),
                      ("--batch-size", int), ("--seq-len", int), ("--lr", float), ("--epochs", float),
                      ("--max-steps", int), ("--patience", int), ("--eval-every", int), ("--seed", int),
                      ("--val-fraction", float), ("--context-lr-scale", float)):
        t.add_argument(name, type=typ, default=None)
    t.add_argument("--schedule", choices=["cosine", "plateau", "constant"], default=None)
    t.add_argument("--windows", choices=["random", "tunes"], default=None,
                   help="random: windows anywhere in the joined tunes (default); tunes: whole tunes from their "
                        "start, long ones in --seq-len chunks with the state carried")
    t.add_argument("--augment-keys", type=int, default=None, metavar="N",
                   help="add N copies of every training tune transposed into other keys (0-11; default 0); "
                        "the validation tunes stay as they are")
    t.add_argument("--key-context", action="store_true",
                   help="also give the model the key in force at each character (read from the K: lines), so "
                        "it need not remember it; with --init, new context inputs start at zero")
    t.add_argument("--bar-context", action="store_true",
                   help="also give the model the bar of the part each character stands in (counted from the bar "
                        "lines; a repeat or double bar starts a part), so it need not count them")
    t.add_argument("--cadence-weight", type=float, default=None, metavar="W",
                   help="weigh the loss on the characters of each part's end W times (default 1), so the model "
                        "learns to end a part as the tunes do; --cadence-bars says how much of the end")
    t.add_argument("--cadence-bars", type=int, default=None, metavar="N",
                   help="the part's last N bars carry --cadence-weight (default 2), or with 0 its last note alone")
    t.add_argument("--train-only", choices=("all", "head"), default=None,
                   help="head: with --init, train only the output layer (the recurrent layers and the "
                        "embeddings stay as they are); default all")
    t.add_argument("--note-noise", type=float, default=None, metavar="P",
                   help="replace this share of the input notes with random ones while training (0-0.5; default "
                        "0), so the model learns to find its way from wrong notes such as its own")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    t.add_argument("--init", default=None,
                   help="start from this checkpoint's weights and shape (fine-tuning), e.g. checkpoints/default")
    t.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, mps")
    t.add_argument("--tensorboard", action="store_true", help="also write TensorBoard logs (needs tensorboard)")
    t.add_argument("--json", action="store_true", help="print the summary as JSON, no progress bar")
    t.set_defaults(func=cmd_train)


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
    from musicrnn.training.config import RESUMABLE, configs_from_preset
    from musicrnn.training.loop import train

    model_over = dict(cell=args.cell, embedding_dim=args.embedding_dim, hidden_size=args.hidden_size,
                      layers=args.layers, dropout=args.dropout, key_context=args.key_context or None,
                      bar_context=args.bar_context or None)
    train_over = dict(data=args.data, out=args.out, batch_size=args.batch_size, seq_len=args.seq_len, lr=args.lr,
                      epochs=args.epochs, max_steps=args.max_steps, patience=args.patience, device=args.device,
                      eval_every=args.eval_every, seed=args.seed, schedule=args.schedule,
                      tensorboard=args.tensorboard or None, val_fraction=args.val_fraction, init=args.init,
                      windows=args.windows, augment_keys=args.augment_keys,
                      context_lr_scale=args.context_lr_scale, cadence_weight=args.cadence_weight,
                      cadence_bars=args.cadence_bars, train_only=args.train_only,
                      note_noise=args.note_noise)
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
            overrides = {k: v for k, v in train_over.items() if k in RESUMABLE and v is not None}
        summary = train(model_cfg, cfg, callback=cb, stop_event=stop, resume=args.resume,
                        resume_overrides=overrides)
    except KeyboardInterrupt:
        print(f"\nstopped; resume with: python -m musicrnn train --out {cfg.out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if os.environ.get("RANK", "0") != "0":
        return 0  # under torchrun, rank 0 reports for everyone
    if args.json:
        print_json(summary)
    else:
        if summary["status"] == "stopped":
            print(f"resume with: python -m musicrnn train --out {cfg.out} --resume", file=sys.stderr)
        best = "step 0: the model it started from, which no step improved" if summary["best_step"] == 0 \
            else f"step {summary['best_step']}"
        print(f"{summary['status']} after {summary['step']} steps: best val bpc {summary['best_val_bpc']:.3f} "
              f"({best}); checkpoint {cfg.out}/best.pt", file=sys.stderr)
    return 0
