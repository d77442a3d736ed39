"""`generate`, `evaluate` and `calibrate`: sample tunes from a checkpoint, score a corpus under it, and fit its
endings to real tunes of each type."""
from __future__ import annotations

import argparse
import sys

from musicrnn.cli.corpus_commands import DATA_HELP
from musicrnn.cli.output import print_json, print_warning
from musicrnn.errors import OptionError
from musicrnn.generation.endings import DEFAULT_ENDINGS, ENDINGS
from musicrnn.generation.options import (
    DEFAULT_STRICT_BARS,
    MAX_BATCH_CHARS,
    MAX_CHARS,
    MAX_TEMPERATURE,
    MAX_TUNES,
    check_sampling,
)


def add_commands(sub) -> None:
    g = sub.add_parser("generate", help="sample tunes from a checkpoint")
    g.add_argument("--checkpoint", default=None, help="file or folder (default: checkpoints/default)")
    g.add_argument("-n", type=int, default=1,
                   help=f"number of tunes, 1 to {MAX_TUNES:,}, sampled together in one batch (n x --max-chars at "
                        f"most {MAX_BATCH_CHARS:,})")
    g.add_argument("--temperature", type=float, default=1.0,
                   help=f"above 0 and at most {MAX_TEMPERATURE:g}; lower is safer, higher more adventurous")
    g.add_argument("--top-k", type=int, default=None, help="sample from the k most likely characters (0: off)")
    g.add_argument("--top-p", type=float, default=None,
                   help="sample from the most likely characters holding this share of the probability, in (0, 1]")
    g.add_argument("--seed", type=int, default=None,
                   help="0 to 2**63 - 1; a fixed seed gives identical output on the same device")
    g.add_argument("--type", default=None, dest="tune_type", metavar="TYPE",
                   help="a tune type the model was trained with (reel, jig, hornpipe, slip jig, polka, waltz...): "
                        "puts R:TYPE and the meter and unit length the model knows for it in the prime")
    g.add_argument("--meter", default=None, help="e.g. 6/8 (with --type: overrides its meter)")
    g.add_argument("--unit", default=None, help="unit note length, e.g. 1/8")
    g.add_argument("--key", default=None, help="e.g. D, Ador, Em")
    g.add_argument("--prime", default=None, help="ABC to continue (body, or a whole header starting X:)")
    g.add_argument("--prime-file", default=None, metavar="FILE",
                   help="instead of --prime: the first tune of this .abc file")
    g.add_argument("--keep-bars", type=int, default=None, metavar="N",
                   help="with a whole tune as --prime or --prime-file: keep its header and its bars up to bar N (a "
                        "pickup is bar 0, as the score numbers them) and write the rest, e.g. 8 keeps a first "
                        "part of eight bars and asks for a new second part")
    g.add_argument("--max-chars", type=int, default=1000, help=f"new characters per tune, 1 to {MAX_CHARS:,}")
    g.add_argument("--endings", choices=list(ENDINGS), default=DEFAULT_ENDINGS,
                   help="; ".join(f"{k}: {v}" for k, v in ENDINGS.items()) + f" (default {DEFAULT_ENDINGS}; with "
                        "--type, from the tilt `calibrate` stored in the checkpoint, else as the model writes them)")
    g.add_argument("--final-redraws", type=int, default=None, metavar="N",
                   help="instead of --endings: draw the last bar again, up to N times, whenever a tune does not "
                        "end on its key's final (0: the model's endings)")
    g.add_argument("--strict-bars", action=argparse.BooleanOptionalAction, default=DEFAULT_STRICT_BARS,
                   help="draw again any character that would make a bar longer than its meter (default: "
                        f"{'on' if DEFAULT_STRICT_BARS else 'off'}); --json reports, per tune, how many draws would "
                        "have (bar_breaks)")
    g.add_argument("--device", default="auto")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_generate)

    e = sub.add_parser("evaluate", help="bits per character on a source's validation split (or all of an .abc)")
    e.add_argument("--checkpoint", default=None)
    e.add_argument("--data", default="music21", help=DATA_HELP)
    e.add_argument("--split", choices=["val", "all"], default=None, help="default: val, or all for .abc sources")
    e.add_argument("--device", default="auto")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)

    c = sub.add_parser("calibrate", help="fit the sampler's endings (after two parts, on the final) to the "
                                         "training tunes of each type, and store the fit in the checkpoint")
    c.add_argument("--checkpoint", default=None, help="file or folder (default: checkpoints/default); rewritten "
                                                      "in place, atomically, with its `endings` table")
    c.add_argument("-n", type=int, default=256, help="tunes sampled per type at each step of the fit")
    c.add_argument("--seed", type=int, default=1000, help="first seed of the fit's samples")
    c.add_argument("--steps", type=int, default=7, help="bisection steps (the keep chance to 1/2**steps)")
    c.add_argument("--types", default=None, help="comma-separated tune types to fit (default: every type the "
                                                 "model knows); the fits of the others stay as they are")
    c.add_argument("--strict-bars", action=argparse.BooleanOptionalAction, default=DEFAULT_STRICT_BARS,
                   help="sample the fit's tunes with bars kept to the meter, as generate does (default: "
                        f"{'on' if DEFAULT_STRICT_BARS else 'off'})")
    c.add_argument("--device", default="auto")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_calibrate)


def cmd_generate(args) -> int:
    prime_text = generate_prime_text(args)
    check_sampling(n=args.n, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                   max_chars=args.max_chars, prime=prime_text, seed=args.seed or 0,
                   final_redraws=args.final_redraws or 0)  # before the model loads
    import torch

    from musicrnn.generation.endings import ending_options
    from musicrnn.generation.prime import build_prime, prime_type, type_prime
    from musicrnn.generation.sampler import sample
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    device = pick_device(args.device)
    model, vocab, ckpt = load_model(args.checkpoint, device)
    if args.tune_type:
        prime = type_prime(args.tune_type, ckpt.get("data"), meter=args.meter, unit=args.unit, key=args.key,
                           start=prime_text or None)
    else:
        prime = build_prime(meter=args.meter, unit=args.unit, key=args.key, start=prime_text or None)
    seed = args.seed if args.seed is not None else int(torch.randint(0, 2**31 - 1, (1,)).item())
    if args.final_redraws is not None:
        endings = {"final_redraws": args.final_redraws, "final_keep": 0.0}
    else:  # a whole tune given to go on from ends as tunes of its own type do
        endings = ending_options(ckpt, args.tune_type or prime_type(prime), args.endings)
    tunes = sample(model, vocab, args.n, prime=prime, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p, seed=seed, max_chars=args.max_chars, strict_bars=args.strict_bars, **endings)
    if args.json:
        print_json([{"index": i, "abc": t.text, "ended": t.ended, "seed": seed, "temperature": args.temperature,
                      "top_k": args.top_k, "top_p": args.top_p, "prime": prime,
                      "endings": args.endings if args.final_redraws is None else None, **endings,
                      "redrawn": t.redrawn, "put_off": t.put_off, "strict_bars": args.strict_bars,
                      "bar_breaks": t.bar_breaks}
                     for i, t in enumerate(tunes)])
    else:
        print(f"% seed {seed}, temperature {args.temperature}", file=sys.stderr)
        print("\n\n".join(t.text.rstrip("\n") for t in tunes))
    return 0


def generate_prime_text(args) -> str:
    """The ABC `generate` continues, from --prime or --prime-file, cut after bar --keep-bars when asked."""
    from musicrnn.files import read_text

    if args.prime is not None and args.prime_file is not None:
        raise OptionError("--prime and --prime-file: give one of them")
    text = read_text(args.prime_file, OptionError) if args.prime_file is not None else args.prime or ""
    if args.keep_bars is None:
        return text
    from musicrnn.generation.prime import kept_prime

    if not text.lstrip().startswith("X:"):
        raise OptionError("--keep-bars: needs a whole tune, starting with its X: line, as --prime or --prime-file")
    return kept_prime(text, args.keep_bars)


def cmd_evaluate(args) -> int:
    from musicrnn.generation.scoring import evaluate_source
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    model, vocab, ckpt = load_model(args.checkpoint, pick_device(args.device))
    val_fraction = ckpt.get("train_config", {}).get("val_fraction", 0.05)
    res = evaluate_source(model, vocab, args.data, split=args.split, val_fraction=val_fraction)
    res["checkpoint"] = ckpt["path"]
    if args.json:
        print_json(res)
    else:
        print(f"{res['source']} ({res['split']}): {res['tunes']} tunes, {res['chars']} characters; "
              f"bpc {res['bpc']:.4f}  "
              f"loss {res['loss']:.4f}  accuracy {res['accuracy']:.4f}  skipped characters {res['skipped_chars']}")
    return 0


def cmd_calibrate(args) -> int:
    from musicrnn.training.endings_fit import fit_endings

    say = None if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    types = [t.strip() for t in args.types.split(",") if t.strip()] if args.types else None
    done = fit_endings(args.checkpoint, n=args.n, seed=args.seed, steps=args.steps, types=types,
                       strict_bars=args.strict_bars, device=args.device, progress=say)
    if done.changed:
        print_warning(done.changed)
    path, table = done.path, done.table
    if args.json:
        print_json({"checkpoint": path, "endings": done.endings})
    else:
        for name, row in table.items():
            print(f"{name:10s} keep {row['keep']:.4f}: on the final {row['model']:.3f} as the model writes, "
                  f"{row['fitted']:.3f} tilted; training tunes {row['target']:.3f} ({row['training_tunes']})")
            print(f"{'':10s} form keep {row['form_keep']:.4f}: in two parts {row['form_model']:.3f} as the model "
                  f"writes, {row['form_fitted']:.3f} tilted; training tunes {row['form_target']:.3f}")
        print(f"written to {path}")
    return 0
