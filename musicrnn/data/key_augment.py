"""Key augmentation: copies of a training tune in other keys (`notation/transpose.py` writes them exactly), at
intervals of the tune's own, so the same tune gets the same copies every run."""
from __future__ import annotations

import hashlib
import random

from musicrnn.notation.transpose import Untransposable, transpose_exact

#: The intervals augmentation draws from: every key within a tritone of the tune's own, once.
AUGMENT_INTERVALS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6)
#: Bumped when transposition writes different text, so that augmented streams are rebuilt.
AUGMENT_VERSION = 1


def augment_intervals(tune: str) -> list[int]:
    """`AUGMENT_INTERVALS` in an order of this tune's own (seeded by a hash of its text): the same every run."""
    seed = int.from_bytes(hashlib.blake2b(tune.encode(), digest_size=8).digest(), "big")
    order = list(AUGMENT_INTERVALS)
    random.Random(seed).shuffle(order)
    return order


def key_copies(tune: str, n: int) -> list[str]:
    """Up to `n` copies of `tune` in other keys, at distinct intervals in `augment_intervals`' order (an interval
    the tune refuses is passed over for the next); none for a tune that cannot be transposed."""
    copies: list[str] = []
    for semitones in augment_intervals(tune) if n > 0 else ():
        try:
            copies.append(transpose_exact(tune, semitones))
        except Untransposable:
            continue
        if len(copies) == n:
            break
    return copies
