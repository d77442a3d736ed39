"""Music figures of a model: sample tunes with a reel prime and a jig prime, then measure how many parse with
music21, how many bars have the duration the meter asks for, how many end by themselves, and how far each
tune copies the training set (longest common substring of its body with any training tune).

    python benchmarks/music_quality.py --checkpoint checkpoints/default --data music21 -n 64
    python benchmarks/music_quality.py --endings tradition --seeds 1,2   # as `generate` and the studio sample
    python benchmarks/music_quality.py --endings tradition --strict-bars --seeds 1,2   # with the option
    python benchmarks/music_quality.py --checkpoint runs/x --seeds 1-8   # each seed, and every figure's
                                                                         # mean, lowest and highest over them
"""
from __future__ import annotations

import argparse

from common import emit

from musicrnn.generation.endings import ENDINGS
from musicrnn.report.quality import measure, measure_seeds


def seed_list(text: str) -> list[int]:
    """`1-8` or `1,2,5` as a list of seeds."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        seeds += list(range(int(low), int(high or low) + 1))
    if not seeds:
        raise ValueError(f"no seeds in {text!r}")
    return seeds


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--data", default="music21", help="the source the model was trained on")
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-chars", type=int, default=1500)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--samples-out", default=None, help="write every sampled tune and its check here (JSON)")
    ap.add_argument("--final-redraws", type=int, default=0,
                    help="the sampler's option: draw a last bar that misses the key's final again, up to N times")
    ap.add_argument("--endings", choices=list(ENDINGS), default=None,
                    help="instead of --final-redraws: the endings each type is sampled with (tradition: the "
                         "checkpoint's fitted tilt, as `generate` and the studio sample by default)")
    ap.add_argument("--strict-bars", action="store_true",
                    help="draw again any character that would make a bar longer than its meter (reports how often "
                         "the model would have: bar_breaks_per_bar)")
    ap.add_argument("--seeds", type=seed_list, default=None,
                    help="several seeds (1-8, or 1,2,5) instead of --seed: each one's figures, and per type "
                         "every figure's mean, lowest and highest over them")
    a = ap.parse_args()
    if a.seeds:
        emit(measure_seeds(a.checkpoint, a.data, a.n, a.temperature, a.seeds, a.max_chars, a.device, a.samples_out,
                           final_redraws=a.final_redraws, endings=a.endings, strict_bars=a.strict_bars))
        return
    emit(measure(a.checkpoint, a.data, a.n, a.temperature, a.seed, a.max_chars, a.device, a.samples_out,
                 final_redraws=a.final_redraws, endings=a.endings, strict_bars=a.strict_bars))


if __name__ == "__main__":
    main()
