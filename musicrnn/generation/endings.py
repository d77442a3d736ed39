"""Endings: how often a model's tunes end on their key's final, and how the sampler brings that to what real
tunes of the type do.

As it comes, the model closes its parts in the right place but, asked for a reel or a jig, lands on the key's
final less often than real ones (about 0.4 of its tunes, against 0.66 of real reels and 0.80 of real jigs).
The sampler's `final_keep` tilts the last bar: an ending off the final is kept with chance `keep`, otherwise the
bar is drawn again, which is rejection sampling of the model's own last bar weighted by `keep` against endings
off the final (the least change to the model's distribution that moves that one figure). `calibrate` fits one
`keep` per tune type, by bisection on the model's own samples, to the share of the *training* tunes of the type
that end on their final, and stores it in the checkpoint; validation tunes stay out of the fit.

The same holds for when a tune ends: a few of the model's reels stop after twelve bars, where nearly every real
dance tune has two parts (`notation/form.py`). The sampler's `form_keep` keeps an end that comes before the
second part with that chance, otherwise the end is drawn again from the other characters and the tune goes on;
`calibrate` fits it first, to the share of training tunes of the type in two parts.
"""
from __future__ import annotations

import math
from collections.abc import Callable

from musicrnn.errors import OptionError
from musicrnn.generation.options import DEFAULT_STRICT_BARS, MAX_REDRAWS
from musicrnn.notation.form import tune_is_two_part
from musicrnn.notation.keys import ends_on_final

#: The choices a user has, and what each does.
ENDINGS = {
    "tradition": "as often on the key's final, and after as many parts, as real tunes of the type (the "
                 "checkpoint's fitted tilts)",
    "model": "as the model writes them",
    "final": "always on the key's final (the last bar drawn again until it is, up to 16 times), after as many "
             "parts as real tunes of the type",
}
DEFAULT_ENDINGS = "tradition"
#: Draws of a last bar the tilt may take before the tune keeps what it has (rarely reached: see `calibrate`).
TILT_REDRAWS = MAX_REDRAWS


def final_share(tunes: list[str]) -> tuple[float | None, int]:
    """(share of `tunes` whose last note is their key's final, tunes measured); tunes without a known key or
    a note are not counted."""
    ends = [e for e in map(ends_on_final, tunes) if e is not None]
    return (sum(ends) / len(ends) if ends else None), len(ends)


def two_part_share(tunes: list[str]) -> tuple[float | None, int]:
    """(share of `tunes` in two parts, tunes measured), as `final_share`."""
    return (sum(map(tune_is_two_part, tunes)) / len(tunes) if tunes else None), len(tunes)


def fitted_keeps(ckpt: dict, field: str = "keep") -> dict[str, float]:
    """Each tune type's fitted keep chance (`field`: "keep" for endings off the final, "form_keep" for ends
    before the second part) from a checkpoint's `endings` (written by `calibrate`); entries that are not a number
    from 0 to 1 are left out, so a hand-edited checkpoint cannot ask the sampler for more."""
    table = ckpt.get("endings")
    out = {}
    if isinstance(table, dict):
        for name, row in table.items():
            keep = row.get(field) if isinstance(row, dict) else None
            if isinstance(name, str) and isinstance(keep, (int, float)) and not isinstance(keep, bool) \
                    and math.isfinite(keep) and 0 <= keep <= 1:
                out[name] = float(keep)
    return out


def tilt_options(keep: float, form_keep: float = 1.0) -> dict:
    """The sampler's `final_redraws`, `final_keep` and `form_keep` for keep chances: a `keep` of 0 always draws
    a last bar off the final again (up to TILT_REDRAWS times), 1 leaves the model's endings as they come;
    `form_keep` is passed on as it is (1: the model ends its tunes when it will)."""
    if keep >= 1:
        return {"final_redraws": 0, "final_keep": 0.0, "form_keep": form_keep}
    return {"final_redraws": TILT_REDRAWS, "final_keep": keep, "form_keep": form_keep}


def ending_options(ckpt: dict, tune_type: str | None, endings: str = DEFAULT_ENDINGS) -> dict:
    """The sampler's `final_redraws`, `final_keep` and `form_keep` for `endings` (one of ENDINGS). A type the
    checkpoint has no fitted tilt for (or no type) keeps the model's own endings and form under "tradition"."""
    if endings not in ENDINGS:
        raise OptionError(f"endings {endings!r}: must be one of {', '.join(ENDINGS)}")
    if endings == "model":
        return tilt_options(1.0)
    form_keep = fitted_keeps(ckpt, "form_keep").get(tune_type or "", 1.0)
    if endings == "final":
        return tilt_options(0.0, form_keep)
    return tilt_options(fitted_keeps(ckpt).get(tune_type or "", 1.0), form_keep)


def bisect_keep(share_at: Callable[[float], float], target: float, steps: int = 7) -> float:
    """The keep chance at which `share_at(keep)` (falling as keep rises: fewer endings drawn again) meets
    `target`, by bisection on [0, 1]; 1 when the model already ends on the final that often."""
    if share_at(1.0) >= target:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(steps):
        mid = (lo + hi) / 2
        if share_at(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def calibrate(model, vocab, ckpt: dict, train_tunes: list[str], *, n: int = 256, seed: int = 1000,
              batch: int = 64, max_chars: int = 1500, steps: int = 7, min_tunes: int = 20,
              types: list[str] | None = None, progress: Callable[[str], None] | None = None,
              strict_bars: bool = DEFAULT_STRICT_BARS) -> dict:
    """Fit the two tilts of each tune type the model knows that has at least `min_tunes` training tunes with a
    known ending: first `form_keep` (ends before the second part), to the share of its training tunes in two
    parts, with the endings as the model writes them; then `keep` (endings off the final), with that form tilt,
    to the share of its training tunes that end on the final. The model's samples (`n` per step, seeds `seed`,
    `seed`+1, ... in batches of `batch`, the same at every step so the bisection compares like with like) are
    measured at temperature 1, with `strict_bars` as given (fit for the way `generate` will sample). `types`:
    only these. Returns the `endings` table for the checkpoint."""
    from musicrnn.generation.prime import known_types, type_prime
    from musicrnn.generation.sampler import sample
    from musicrnn.notation.fields import header_value

    known = known_types(ckpt.get("data"))
    unknown = [t for t in types or () if t not in known]
    if unknown:
        raise OptionError(f"tune type {unknown[0]!r}: this model knows {', '.join(known) or 'no tune types'}")
    table = {}
    for name in [t for t in known if types is None or t in types]:
        real = [t for t in train_tunes if header_value(t, "R") == name]
        target, counted = final_share(real)
        if target is None or counted < min_tunes:
            continue
        prime = type_prime(name, ckpt.get("data"))

        def fit(what: str, share: Callable[[list[str]], float | None], goal: float, options: Callable[[float], dict]):
            seen: dict[float, float] = {}

            def share_at(keep: float) -> float:
                tunes = []
                for i in range(0, n, batch):
                    tunes += sample(model, vocab, min(batch, n - i), prime=prime, seed=seed + i // batch,
                                    max_chars=max_chars, strict_bars=strict_bars, **options(keep))
                seen[keep] = share([t.text for t in tunes]) or 0.0
                if progress:
                    progress(f"{name}: {what} keep {keep:.4f} -> {seen[keep]:.3f} (target {goal:.3f})")
                return seen[keep]

            keep = bisect_keep(share_at, goal, steps)
            return keep, seen[1.0], seen[keep] if keep in seen else share_at(keep)

        form_target = two_part_share(real)[0]
        form_keep, form_model, form_fitted = fit("two parts", lambda ts: two_part_share(ts)[0], form_target,
                                                 lambda k: tilt_options(1.0, k))
        keep, model_share, fitted = fit("on the final", lambda ts: final_share(ts)[0], target,
                                        lambda k: tilt_options(k, form_keep))
        table[name] = {"keep": keep, "target": round(target, 4), "training_tunes": counted,
                       "model": round(model_share, 4), "fitted": round(fitted, 4),
                       "form_keep": form_keep, "form_target": round(form_target, 4),
                       "form_model": round(form_model, 4), "form_fitted": round(form_fitted, 4),
                       "samples": n, "seed": seed, "strict_bars": strict_bars}
    return table
