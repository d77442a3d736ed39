"""`stats` and `download`: what is in a corpus, and fetching IrishMAN."""
from __future__ import annotations

import sys

from musicrnn.cli.output import print_json

DATA_HELP = ("music21 (bundled tunes, default), music21:dance (their dance-tune part), an IrishMAN folder or "
             ".json, or an .abc file or folder")


def add_commands(sub) -> None:
    s = sub.add_parser("stats", help="corpus statistics")
    s.add_argument("--data", default="music21", help=DATA_HELP)
    s.add_argument("--max-len", type=int, default=600, help="max length for the padding-waste figure")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)

    d = sub.add_parser("download", help="fetch a corpus")
    d.add_argument("what", choices=["irishman"])
    d.add_argument("--dest", default="data/irishman")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_download)



def cmd_stats(args) -> int:
    from musicrnn.data.split import load_corpus
    from musicrnn.data.stats import corpus_stats

    corpus = load_corpus(args.data)
    stats = corpus_stats(corpus.all_tunes, max_len=args.max_len)
    stats["source"] = corpus.describe()
    if args.json:
        print_json(stats)
        return 0
    d, L = corpus.describe(), stats["length"]
    pad = stats["padding"]
    print(f"source        {d['source']}  (split {d['split']}: {d['train_tunes']} train, {d['val_tunes']} validation)")
    print(f"tunes         {stats['tunes']}")
    print(f"characters    {stats['characters']}  ({stats['unique_characters']} unique)")
    print(f"length        min {L['min']}  median {L['median']:.0f}  mean {L['mean']:.1f}  p95 {L['p95']:.0f}  "
          f"max {L['max']}")
    print(f"pad to {pad['max_len']:<6} {pad['padding_fraction']:.1%} of positions are padding, "
          f"{pad['truncated_fraction']:.1%} of tunes cut")
    for name, key in (("meters", "meters"), ("keys", "keys"), ("unit lengths", "unit_lengths"),
                      ("tune types", "tune_types")):
        top = list(stats[key].items())[:8]
        print(f"{name:<13} " + "  ".join(f"{k}:{v}" for k, v in top))
    c = d["cleaning"]
    print(f"cleaning      kept {c['tunes_kept']} of {c['tunes_in']} tunes; dropped {c['dropped']}; "
          f"fields removed {sum(c['fields_dropped'].values())}; changes {c['changed']}")
    return 0


def cmd_download(args) -> int:
    from tqdm import tqdm

    from musicrnn.data.download import download_irishman

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
        print_json({"dest": args.dest, "tunes": counts})
    else:
        print(f"IrishMAN saved in {args.dest}: " + ", ".join(f"{k} {v} tunes" for k, v in counts.items()))
    return 0
