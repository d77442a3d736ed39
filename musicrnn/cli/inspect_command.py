"""`inspect`: the bits of every character of a file's tunes under a model, or (`--cells`) the units that track
the bar position, the quotes, the repeats, the parts, the pitch and the column."""
from __future__ import annotations

import time

from musicrnn.cli.output import print_error, print_json, print_warning

MOST_SURPRISING = 5


def add_commands(sub) -> None:
    p = sub.add_parser("inspect", help="see inside a model: the bits of every character of tunes, or its cells")
    p.add_argument("file", nargs="?", default=None, metavar="FILE",
                   help=".abc file or folder (its tunes cleaned and read as `evaluate` reads them); with --cells, "
                        "default: the validation tunes of the checkpoint's corpus")
    p.add_argument("--checkpoint", default=None, help="file or folder (default: checkpoints/default)")
    p.add_argument("--cells", action="store_true",
                   help="list the units most correlated with each feature of the notation")
    p.add_argument("--top", type=int, default=5, help="units listed per feature with --cells (1 to 100)")
    p.add_argument("--tunes", type=int, default=None, help="read only the first N tunes")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inspect)


def cmd_inspect(args) -> int:
    if args.file is None and not args.cells:
        return print_error("inspect: give a FILE.abc to read, or --cells for the checkpoint's validation tunes")
    if not 1 <= args.top <= 100:
        return print_error(f"--top {args.top}: must be 1 to 100")
    if args.tunes is not None and args.tunes < 1:
        return print_error(f"--tunes {args.tunes}: must be at least 1")
    from musicrnn.inspection.tune_sets import source_tunes, validation_split
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    model, vocab, ckpt = load_model(args.checkpoint, pick_device(args.device))
    if args.file is None:
        tunes, changed = validation_split(ckpt)
        where = f"the validation tunes of {ckpt['data']['source']}"
        if changed:
            print_warning(changed)
    else:
        val_fraction = (ckpt.get("train_config") or {}).get("val_fraction", 0.05)
        tunes, where = source_tunes(args.file, val_fraction=val_fraction), str(args.file)
    tunes = tunes[: args.tunes]
    if args.cells:
        return print_cells(model, vocab, ckpt, tunes, where, args)
    return print_surprise(model, vocab, ckpt, tunes, where, args)


def print_surprise(model, vocab, ckpt, tunes, where, args) -> int:
    from musicrnn.inspection.surprise import read_tunes

    readings = read_tunes(model, vocab, tunes)
    total = sum(r.total_bits for r in readings)
    chars = sum(len(r.bits) for r in readings)  # the end tokens count, as in evaluate
    if args.json:
        print_json({"checkpoint": ckpt["path"], "source": where, "bpc": total / chars, "chars": chars,
                    "tunes": [{"index": i, "abc": r.text, **r.to_dict()}
                              for i, r in enumerate(readings)]})
        return 0
    for i, r in enumerate(readings):
        print(f"tune {i + 1}: {r.chars} characters and the end, {r.total_bits:.1f} bits, "
              f"{r.mean_bits:.3f} bits per character" + (f" ({r.skipped} unknown left out)" if r.skipped else ""))
        worst = sorted(range(len(r.bits)), key=lambda j: -r.bits[j])[:MOST_SURPRISING]
        print("  most surprising: " + ", ".join(f"{where_in(r, j)} ({r.bits[j]:.1f} bits)" for j in worst))
    print(f"{len(readings)} tunes of {where}: {chars} characters, {total / chars:.4f} bits per character")
    return 0


def where_in(reading, j: int) -> str:
    """`'g' at 6:3` (line:column, from 1) for position j of a reading; `the end` for the end token."""
    if j >= reading.chars:
        return "the end"
    off = int(reading.offsets[j])
    line = reading.text.count("\n", 0, off) + 1
    col = off - (reading.text.rfind("\n", 0, off) + 1) + 1
    return f"{reading.tokens[j]!r} at {line}:{col}"


def print_cells(model, vocab, ckpt, tunes, where, args) -> int:
    from musicrnn.inspection.cell_cache import cell_statistics
    from musicrnn.inspection.features import DESCRIPTIONS

    t0 = time.perf_counter()
    stats = cell_statistics(model, vocab, tunes)
    seconds = time.perf_counter() - t0
    table = stats.table(args.top)
    if args.json:
        print_json({"checkpoint": ckpt["path"], "source": where, "tunes": stats.tunes, "chars": stats.chars,
                    "cached": stats.cached, "seconds": round(seconds, 3),
                    "features": {f: {"description": DESCRIPTIONS[f], "varies": bool(stats.varies[i]),
                                     "units": [u.to_dict() for u in table[f]]}
                                 for i, f in enumerate(stats.features)}})
        return 0
    print(f"cells of {ckpt['path']} over {stats.tunes} tunes ({stats.chars:,} characters) of {where}"
          f"{' (cached)' if stats.cached else ''}, {seconds:.1f} s")
    for f in stats.features:
        units = table[f]
        shown = "   ".join(f"layer {u.layer} {u.kind} {u.index:<4} r {u.r:+.3f}" for u in units)
        print(f"{f:<13} {shown or 'does not vary over these tunes'}")
    return 0
