"""Build the model card of a trained model: `card.json`, `README.md` and `curves.png` in the checkpoint folder.

Every figure is measured here, from the checkpoint and its run folder:
    python benchmarks/model_card.py --checkpoint checkpoints/default --run checkpoints/default --data music21 \
        --command "python -m musicrnn train ..."
    python benchmarks/model_card.py --checkpoint checkpoints/default --refresh-music   # the sampled music
                                    # only, for a change to the sampler or `calibrate`, the weights the same
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import common  # noqa: F401  (puts the repository on sys.path)

from musicrnn.report.model_card import build_card, refresh_music


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--run", help="run folder with run.json and metrics.jsonl")
    ap.add_argument("--data", default="music21")
    ap.add_argument("--command", help="the exact training command")
    ap.add_argument("--refresh-music", action="store_true",
                    help="measure only the card's sampled music again, keeping the rest of card.json")
    ap.add_argument("--music-n", type=int, default=64)
    ap.add_argument("--sweep", nargs="*", default=[],
                    help="LABEL=FOLDER: a round of runs (benchmarks/sweep_default.sh) and its label in the table")
    ap.add_argument("--sweep-extra", default=None, help="JSON list of sweep runs known from their logs only")
    ap.add_argument("--selection-text", default=None, help="file: how the model was chosen (markdown)")
    ap.add_argument("--hardware-note", default="")
    ap.add_argument("--earlier-run", default=None,
                    help="run folder of a first stage the model was fine-tuned from (`--init`): its curves come first")
    a = ap.parse_args()
    if a.refresh_music:
        card = refresh_music(a.checkpoint, a.data, a.music_n)
        print(json.dumps({"endings": card["endings"], "music": {t: card["music"][t]["style"]
                                                                for t in card["endings"] if t in card["music"]}}))
        return
    if not (a.run and a.command):
        ap.error("--run and --command are needed to build a card (or --refresh-music)")
    card = build_card(
        a.checkpoint, a.run, a.data, a.command, music_n=a.music_n,
        sweep=[(f.split("=", 1)[0], Path(f.split("=", 1)[1])) for f in a.sweep],
        sweep_extra=json.loads(Path(a.sweep_extra).read_text()) if a.sweep_extra else [],
        selection_text=Path(a.selection_text).read_text() if a.selection_text else "",
        hardware_note=a.hardware_note, earlier_run=a.earlier_run)
    print(json.dumps({k: card[k] for k in ("validation", "speed", "file_mb", "parameters")}))

if __name__ == "__main__":
    main()
