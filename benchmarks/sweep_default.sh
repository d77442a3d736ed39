#!/usr/bin/env bash
# The sweep that chose the shipped model (checkpoints/default): several configurations trained side by side
# on one GPU with `python -m musicrnn train --preset gpu` and overrides, on the embedded music21 corpus.
# The winner is picked by validation bpc alone, among the sizes that sample fast enough on a 2-core CPU
# (`benchmarks/sampling.py`); the music figures are measured only afterwards, on the winner.
#
#   bash benchmarks/sweep_default.sh [RUNS_DIR] [SECONDS_PER_RUN] [round1|round2|dance|final]
#
# Rounds 1 and 2 ran on the whole corpus: round 1 compared sizes (2 layers beat 1, more dropout helped), round 2
# pushed dropout on the sizes that fit. Round `dance` sweeps the sizes that fit on `music21:dance`, the source
# the shipped model uses (see checkpoints/default/README.md for why). Round `final` retrains the best shapes of
# round 2 after cleaning learned to make bar lines agree with line ends (musicrnn/data/barlines.py), with a shorter
# schedule (35 epochs) to fit the last minutes of GPU time.
#
# Each run gets SIGINT when its time is up, which stops it cleanly after the current step (best.pt is only
# ever replaced atomically by a better one). Summaries go to RUNS_DIR/<name>/train.log.
set -u
RUNS=${1:-runs/sweep}
BUDGET=${2:-480}
mkdir -p "$RUNS"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2

# name: overrides on top of the gpu preset (embedding 256, hidden 1024, 3 layers, dropout 0.3, batch 256,
# seq 256, lr 2e-3). The small batch gives ~135 steps per epoch on 2.2 M characters.
ROUND=${3:-final}
DATA=music21; EVAL_EVERY=135  # ~one epoch
[ "$ROUND" = dance ] && DATA=music21:dance EVAL_EVERY=59
python3 -c "from musicrnn.data import prepare; p = prepare('$DATA'); print('train chars', len(p.train), 'val chars', len(p.val))"
declare -A CONFIGS
EPOCHS=50
[ "$ROUND" = final ] && EPOCHS=35
if [ "$ROUND" = final ]; then CONFIGS=(
  [l2h384d3]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.3"
  [l2h384d4]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.4"
  [l2h448d4]="--layers 2 --hidden-size 448 --embedding-dim 64 --dropout 0.4"
)
elif [ "$ROUND" = dance ]; then CONFIGS=(
  [l2h320d3]="--layers 2 --hidden-size 320 --embedding-dim 64 --dropout 0.3"
  [l2h384d3]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.3"
  [l2h384d4]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.4"
  [l2h384d5]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.5"
  [l2h448d5]="--layers 2 --hidden-size 448 --embedding-dim 64 --dropout 0.5"
  [l3h320d4]="--layers 3 --hidden-size 320 --embedding-dim 64 --dropout 0.4"
  [l1h512d3]="--layers 1 --hidden-size 512 --embedding-dim 64 --dropout 0.3"
  [l1h768d5]="--layers 1 --hidden-size 768 --embedding-dim 128 --dropout 0.5"
)
elif [ "$ROUND" = round1 ]; then CONFIGS=(
  [l1h512]="--layers 1 --hidden-size 512 --embedding-dim 64 --dropout 0.1"
  [l1h640]="--layers 1 --hidden-size 640 --embedding-dim 64 --dropout 0.25"
  [l1h768]="--layers 1 --hidden-size 768 --embedding-dim 64 --dropout 0.25"
  [l1h768d4]="--layers 1 --hidden-size 768 --embedding-dim 128 --dropout 0.4"
  [l2h448]="--layers 2 --hidden-size 448 --embedding-dim 64 --dropout 0.25"
  [l2h512]="--layers 2 --hidden-size 512 --embedding-dim 64 --dropout 0.3"
  [l1h1024]="--layers 1 --hidden-size 1024 --embedding-dim 128 --dropout 0.4"
); else CONFIGS=(
  [l2h384d3]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.3"
  [l2h384d4]="--layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.4"
  [l2h448d4]="--layers 2 --hidden-size 448 --embedding-dim 64 --dropout 0.4"
  [l2h512d4]="--layers 2 --hidden-size 512 --embedding-dim 64 --dropout 0.4"
  [l2h512d5]="--layers 2 --hidden-size 512 --embedding-dim 64 --dropout 0.5"
  [l3h384d35]="--layers 3 --hidden-size 384 --embedding-dim 64 --dropout 0.35"
  [l1h768d5]="--layers 1 --hidden-size 768 --embedding-dim 128 --dropout 0.5"
  [l2h448d5]="--layers 2 --hidden-size 448 --embedding-dim 64 --dropout 0.5"
); fi
for name in "${!CONFIGS[@]}"; do
  # shellcheck disable=SC2086
  timeout -s INT -k 60 "$BUDGET" python3 -m musicrnn train --data "$DATA" --preset gpu ${CONFIGS[$name]} \
    --batch-size 64 --seq-len 256 --epochs $EPOCHS --patience 12 --eval-every $EVAL_EVERY --out "$RUNS/$name" --json \
    >"$RUNS/$name.log" 2>&1 &
done
# The gpu preset as it stands (3×1024, 22 M parameters): a reference point, too big to ship (88 MB, slow on CPU).
[ "$ROUND" = round1 ] && timeout -s INT -k 60 "$BUDGET" python3 -m musicrnn train --data music21 --preset gpu --eval-every 34 \
  --out "$RUNS/gpu_preset" --json >"$RUNS/gpu_preset.log" 2>&1 &
wait
for f in "$RUNS"/*.log; do echo "== $f"; tail -c 600 "$f"; echo; done
