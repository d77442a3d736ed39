"""`generate` and `evaluate`: sample tunes from a checkpoint, and score a corpus under it."""
from __future__ import annotations

import sys

from musicrnn.cli.corpus_commands import DATA_HELP
from musicrnn.cli.output import print_json
from musicrnn.generation.options import MAX_BATCH_CHARS, MAX_CHARS, MAX_TEMPERATURE, MAX_TUNES, check_sampling


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
    g.add_argument("--max-chars", type=int, default=1000, help=f"new characters per tune, 1 to {MAX_CHARS:,}")
    g.add_argument("--final-redraws", type=int, default=0, metavar="N",
                   help="draw the last bar again, up to N times, when a tune does not end on its key's final "
                        "(0: off, the default; the studio's 'End on the final' is 1)")
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


def cmd_generate(args) -> int:
    prime_text = args.prime or ""
    check_sampling(n=args.n, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                   max_chars=args.max_chars, prime=prime_text, seed=args.seed or 0,
                   final_redraws=args.final_redraws)  # before the model loads
    import torch

    from musicrnn.generation.prime import build_prime, type_prime
    from musicrnn.generation.sampler import sample
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    device = pick_device(args.device)
    model, vocab, ckpt = load_model(args.checkpoint, device)
    if args.tune_type:
        prime = type_prime(args.tune_type, ckpt.get("data"), meter=args.meter, unit=args.unit, key=args.key,
                           start=args.prime)
    else:
        prime = build_prime(meter=args.meter, unit=args.unit, key=args.key, start=args.prime)
    seed = args.seed if args.seed is not None else int(torch.randint(0, 2**31 - 1, (1,)).item())
    tunes = sample(model, vocab, args.n, prime=prime, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p, seed=seed, max_chars=args.max_chars, final_redraws=args.final_redraws)
    if args.json:
        print_json([{"index": i, "abc": t.text, "ended": t.ended, "seed": seed, "temperature": args.temperature,
                      "top_k": args.top_k, "top_p": args.top_p, "prime": prime, "final_redraws": args.final_redraws,
                      "redrawn": t.redrawn} for i, t in enumerate(tunes)])
    else:
        print(f"% seed {seed}, temperature {args.temperature}", file=sys.stderr)
        print("\n\n".join(t.text.rstrip("\n") for t in tunes))
    return 0


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
