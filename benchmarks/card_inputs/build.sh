#!/usr/bin/env bash
# Rebuild the shipped model's card (checkpoints/default/README.md, card.json, curves.png) from its run files and
# the inputs beside this script. About 10 minutes on a 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=benchmarks/card_inputs
python benchmarks/model_card.py --checkpoint checkpoints/default --run checkpoints/default --data music21 \
  --command "$(cat $here/command.txt)" --sweep-extra $here/sweep_extra.json --selection-text $here/selection.md \
  --hardware-note ", stages 2 to 5 on this 2-core CPU (stage 1: one H100)" --earlier-run checkpoints/default/stage4
