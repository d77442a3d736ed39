"""Music figures of a model's samples: sample tunes of each tune type the model knows (a reel and a jig meter for
a model without types), then measure how many parse with music21, how many bars have the duration the meter asks
for, how many end by themselves, how far each tune copies the training set (longest common substring of its body
with any training tune), and its style figures (`music/style.py`) beside those of real tunes of the type."""
from __future__ import annotations

import json
import time

from musicrnn.data.split import load_corpus
from musicrnn.generation.endings import ending_options
from musicrnn.generation.prime import build_prime, known_types, type_prime
from musicrnn.generation.sampler import sample
from musicrnn.model.checkpoint import load_model
from musicrnn.music.check import check_tune
from musicrnn.music.style import style_figures
from musicrnn.notation.fields import header_value
from musicrnn.report.machine import machine

PRIMES = {"reel": {"meter": "4/4", "unit": "1/8"}, "jig": {"meter": "6/8", "unit": "1/8"}}


def body_of(abc: str) -> str:
    """The tune after its `K:` line (the header is shared by design, so it is not counted as copying)."""
    lines = abc.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("K:"):
            return "\n".join(lines[i + 1 :])
    return abc


def longest_common_substring(text: str, corpus: str) -> int:
    """Length of the longest substring of `text` found anywhere in `corpus` (matching statistics, two pointers:
    O(len(text)) substring searches, each a fast C scan)."""
    best = 0
    for i in range(len(text)):
        while i + best < len(text) and text[i : i + best + 1] in corpus:
            best += 1
    return best


#: The types the figures are reported for, when the model knows them (reel and jig are the goals).
STYLE_TYPES = ("reel", "jig", "hornpipe", "polka", "slip jig", "waltz")


def primes_for(ckpt: dict, types=STYLE_TYPES) -> dict[str, str]:
    """The prime of each type the model knows (`R:` with its meter and unit), or, for a model trained without
    types, the reel and jig meters alone."""
    known = known_types(ckpt.get("data"))
    if known:
        return {t: type_prime(t, ckpt.get("data")) for t in types if t in known}
    return {name: build_prime(**args) for name, args in PRIMES.items()}


def real_style(tunes: list[str], types=STYLE_TYPES) -> dict:
    """The style figures of real tunes of each type (their `R:`), measured as the samples are."""
    return {t: style_figures([x for x in tunes if header_value(x, "R") == t]) for t in types}


def measure(checkpoint=None, data="music21", n=64, temperature=1.0, seed=1, max_chars=1500, device="cpu",
            samples_out=None, types=STYLE_TYPES, final_redraws=0, endings=None, strict_bars=False) -> dict:
    """For each prime (`primes_for`): parse, bar and ending rates, copying, and the style figures of `n`
    sampled tunes (with `final_redraws`, the sampler's option, or `endings`, one of `generation.endings.ENDINGS`
    for each type, and the share of tunes it redrew); beside them the style figures of the validation tunes of
    each type; `strict_bars` is the sampler's option (and the tunes' `bar_breaks` per bar are reported)."""
    return measure_seeds(checkpoint, data, n, temperature, [seed], max_chars, device, samples_out, types,
                         final_redraws, endings, strict_bars)["per_seed"][0]


#: The figures `measure_seeds` sums up over its seeds, per type: (where in the type's result, name).
SUMMED = (("parse_rate", None), ("bar_ok_rate", None), ("ended_rate", None), ("lcs_max", None),
          ("running_bars", "style"), ("ends_on_final", "style"), ("two_part", "style"))


def measure_seeds(checkpoint=None, data="music21", n=64, temperature=1.0, seeds=(1,), max_chars=1500, device="cpu",
                  samples_out=None, types=STYLE_TYPES, final_redraws=0, endings=None, strict_bars=False) -> dict:
    """`measure` for each of `seeds` (the model and corpus read once), and per type each figure's mean, lowest
    and highest over them: one seed's 64 tunes move a figure by several points, so models compare on many."""
    model, vocab, ckpt = load_model(checkpoint, device)
    val_fraction = ckpt.get("train_config", {}).get("val_fraction", 0.05)
    corpus = load_corpus(data, val_fraction=val_fraction)
    train_text = "\x00".join(body_of(t) for t in corpus.train)
    real = real_style(corpus.val, types)
    primes = primes_for(ckpt, types)
    per_seed, kept = [], []
    for seed in seeds:
        result = {"benchmark": "music_quality", "checkpoint": ckpt["path"], "n_per_prime": n,
                  "temperature": temperature, "seed": seed, "max_chars": max_chars, "final_redraws": final_redraws,
                  "endings": endings, "strict_bars": strict_bars}
        totals = {"tunes": 0, "parses": 0, "bars": 0, "good_bars": 0, "ended": 0, "lcs": []}
        for name, prime in primes.items():
            options = ending_options(ckpt, name, endings) if endings else \
                {"final_redraws": final_redraws, "final_keep": 0.0}
            t0 = time.perf_counter()
            tunes = sample(model, vocab, n, prime=prime, temperature=temperature, seed=seed, max_chars=max_chars,
                           strict_bars=strict_bars, **options)
            sample_s = time.perf_counter() - t0
            part = {"tunes": 0, "parses": 0, "bars": 0, "good_bars": 0, "ended": 0, "lcs": []}
            for s in tunes:
                rep = check_tune(s.text, ended=s.ended)
                part["tunes"] += 1
                part["parses"] += rep.parses
                part["bars"] += rep.bars
                part["good_bars"] += rep.bars - len(rep.bad_bars) if rep.parses else 0
                part["ended"] += s.ended
                part["lcs"].append(longest_common_substring(body_of(s.text), train_text))
                kept.append({"seed": seed, "prime": name, "abc": s.text, "ended": s.ended,
                             "check": rep.to_dict()})
            for k in totals:
                totals[k] += part[k]
            result[name] = _rates(part) | {"sample_s": round(sample_s, 2), "prime": prime, **options,
                                           "style": style_figures([s.text for s in tunes]),
                                           "redrawn": round(sum(s.redrawn > 0 for s in tunes) / len(tunes), 4),
                                           "put_off": round(sum(s.put_off > 0 for s in tunes) / len(tunes), 4),
                                           "bar_breaks_per_bar": round(sum(s.bar_breaks for s in tunes)
                                                                       / max(1, part["bars"]), 4)}
        result["all"] = _rates(totals)
        result["validation_style"] = real
        result["machine"] = machine(device)
        per_seed.append(result)
    if samples_out:
        with open(samples_out, "w") as f:
            json.dump(kept, f, indent=1)
    summary = {}
    for name in primes:
        figures = {}
        for key, within in SUMMED:
            values = [(r[name][within] if within else r[name])[key] for r in per_seed]
            values = [v for v in values if v is not None]
            if values:
                figures[key] = {"mean": round(sum(values) / len(values), 4), "min": min(values), "max": max(values)}
        summary[name] = figures
    return {"benchmark": "music_quality_seeds", "checkpoint": ckpt["path"], "seeds": list(seeds),
            "n_per_prime": n, "over_seeds": summary, "validation_style": real, "per_seed": per_seed}


def _rates(p: dict) -> dict:
    lcs = sorted(p["lcs"])
    return {"tunes": p["tunes"], "parse_rate": p["parses"] / p["tunes"],
            "bar_ok_rate": p["good_bars"] / max(1, p["bars"]), "ended_rate": p["ended"] / p["tunes"],
            "lcs_max": lcs[-1], "lcs_median": lcs[len(lcs) // 2], "bars": p["bars"]}
