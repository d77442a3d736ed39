"""The sampling options, checked at one boundary that the CLI, the app and the library share.

The limits are sized to a machine of a few GB: a batch keeps one id per tune and character (8 bytes) and a
recurrent state per tune, so `MAX_BATCH_CHARS` tunes x characters stay far below a gigabyte.
"""
from __future__ import annotations

import math

from musicrnn.errors import OptionError

MAX_TUNES = 1024  # tunes sampled together in one batch
MAX_CHARS = 20_000  # new characters per tune; the longest corpus tune has 2,439, the checks accept 50,000
MAX_BATCH_CHARS = 4_000_000  # tunes x characters in one batch (32 MB of ids)
MAX_TEMPERATURE = 100.0
MAX_PRIME_CHARS = 50_000
MAX_REDRAWS = 16  # draws of a last bar that misses the key's final (`final_redraws`), or of an early end
#: Whether `generate` and the studio keep bars to the meter (`strict_bars`) unless told otherwise: off, because
#: over 8 seeds it helped jigs' and slip jigs' bars but not reels' or hornpipes' (the model card's figures).
DEFAULT_STRICT_BARS = False


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(f"{name} {value!r}: must be a number")
    if not math.isfinite(value):
        raise OptionError(f"{name} {value}: must be a finite number")
    return float(value)


def _whole(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"{name} {value!r}: must be a whole number")
    return value


def check_sampling(*, n: int = 1, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                   max_chars: int = 1000, prime: str = "", seed: int = 0, final_redraws: int = 0,
                   final_keep: float = 0.0, strict_bars: bool = False, form_keep: float = 1.0) -> None:
    """OptionError, one line naming the option and its range, for the first option out of range.

    temperature: finite, above 0 and at most 100. top_k: None or 0 (off), or at least 1. top_p: None (off), or
    in (0, 1]. n: 1 to MAX_TUNES. max_chars: 1 to MAX_CHARS, and n x max_chars at most MAX_BATCH_CHARS.
    seed: 0 to 2**63 - 1. final_redraws: 0 to MAX_REDRAWS. final_keep, form_keep: 0 to 1.
    strict_bars: True or False.
    """
    t = _number("temperature", temperature)
    if not 0 < t <= MAX_TEMPERATURE:
        raise OptionError(f"temperature {temperature}: must be above 0 and at most {MAX_TEMPERATURE:g}")
    if top_k is not None and _whole("top-k", top_k) < 0:
        raise OptionError(f"top-k {top_k}: must be 0 (off) or more")
    if top_p is not None and not 0 < _number("top-p", top_p) <= 1:
        raise OptionError(f"top-p {top_p}: must be above 0 and at most 1 (1: off)")
    if not 1 <= _whole("number of tunes", n) <= MAX_TUNES:
        raise OptionError(f"number of tunes {n}: must be 1 to {MAX_TUNES:,}")
    if not 1 <= _whole("max-chars", max_chars) <= MAX_CHARS:
        raise OptionError(f"max-chars {max_chars}: must be 1 to {MAX_CHARS:,}")
    if n * max_chars > MAX_BATCH_CHARS:
        raise OptionError(f"{n:,} tunes of up to {max_chars:,} characters is more than the {MAX_BATCH_CHARS:,} "
                          "characters sampled in one batch; ask for fewer or shorter tunes")
    if not 0 <= _whole("seed", seed) < 2**63:
        raise OptionError(f"seed {seed}: must be 0 to 2**63 - 1")
    if not 0 <= _whole("final redraws", final_redraws) <= MAX_REDRAWS:
        raise OptionError(f"final redraws {final_redraws!r}: must be a whole number from 0 to {MAX_REDRAWS}")
    if not 0 <= _number("final keep", final_keep) <= 1:
        raise OptionError(f"final keep {final_keep}: must be from 0 to 1")
    if not 0 <= _number("form keep", form_keep) <= 1:
        raise OptionError(f"form keep {form_keep}: must be from 0 to 1")
    if not isinstance(strict_bars, bool):
        raise OptionError(f"strict bars {strict_bars!r}: must be true or false")
    if len(prime) > MAX_PRIME_CHARS:
        raise OptionError(f"the prime has {len(prime):,} characters, more than {MAX_PRIME_CHARS:,}")
