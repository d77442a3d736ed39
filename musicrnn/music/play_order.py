"""The order in which a tune's bars sound: repeats and first/second endings expanded."""
from __future__ import annotations

from musicrnn.music.structure import MAX_PASSES, MAX_PLAYED_BARS, Bar


def _ending_extent(bars: list[Bar], i: int) -> int:
    """Last bar index of the ending that starts at bar i."""
    k = i
    while k < len(bars) - 1:
        b = bars[k]
        if b.right is not None and (b.right.ends_repeat or b.right.section_end):
            return k
        if bars[k + 1].ending or (bars[k + 1].left and bars[k + 1].left.starts_repeat):
            return k
        k += 1
    return k


def _ending_groups(bars: list[Bar]) -> tuple[dict[int, int], dict[int, int], dict[int, bool]]:
    """For each bar inside an ending: the group's start, highest number, and whether it repeats."""
    owner: dict[int, int] = {}
    gmax: dict[int, int] = {}
    grep: dict[int, bool] = {}
    i = 0
    while i < len(bars):
        if not bars[i].ending:
            i += 1
            continue
        members = []
        while i < len(bars) and bars[i].ending:
            end = _ending_extent(bars, i)
            members.append((i, end))
            i = end + 1
        top = max(max(bars[s].ending) for s, _ in members)
        repeats = any(bars[k].right is not None and bars[k].right.ends_repeat
                      for s, e in members for k in range(s, e + 1))
        for s, e in members:
            for k in range(s, e + 1):
                owner[k] = s
                gmax[k] = top
                grep[k] = repeats
    return owner, gmax, grep


def play_order(bars: list[Bar]) -> list[int]:
    """Indices of `bars` in the order they sound, with repeats and endings expanded.

    A `:|` without `|:` goes back to the start of the tune or to the end of the previous
    section (`||`, `|]`, or an earlier `:|`). Endings are played on the passes they list;
    the number of passes is the highest ending number (2 without endings). A `:|1` is
    where the first ending starts, not a repeat: going back from there would never play the first ending.
    """
    order: list[int] = []
    owner, gmax, grep = _ending_groups(bars)
    start, passno, i, n = 0, 1, 0, len(bars)
    budget = min(MAX_PLAYED_BARS, MAX_PASSES * (n + 1) + 16)
    while i < n and len(order) < budget:
        b = bars[i]
        if b.left is not None and b.left.starts_repeat and i != start:
            start, passno = i, 1
        if b.ending and i in owner and grep[i] and passno not in b.ending:
            i = _ending_extent(bars, i) + 1
            continue
        order.append(i)
        r = b.right
        if r is not None and r.ends_repeat and 1 not in r.ending:
            passes = max(2, min(gmax.get(i, 2), MAX_PASSES))
            if passno < passes:
                passno += 1
                i = start
                continue
            start, passno = i + 1, 1
        elif r is not None and r.section_end and i not in owner:
            start, passno = i + 1, 1
        i += 1
    return order


# ----------------------------------------------------------------------------- text for music21


