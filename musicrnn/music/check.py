"""Is a tune playable as written? music21's parse, the header, each bar's length against its meter, repeats
left open, and whether it ends; `score` ranks a sampler's candidates."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from musicrnn.music.music21_text import bar_lengths, durations_abc, parse_music21, voice_blocks
from musicrnn.music.play_order import play_order
from musicrnn.music.structure import Bar, Tune, check_size, parse_tune, tune_text
from musicrnn.notation.meter import meter_length

_MARKER = re.compile(r"\s*Q:1/4=1\d{6,}\s*")  # the bar-length markers of `durations_abc`


@dataclass
class BarIssue:
    """A bar whose length does not match the meter."""

    bar: int  # 1-based, counting bars with notes in the first voice
    line: int  # 1-based line in the tune text
    text: str
    length: str  # in whole notes, e.g. "7/8"
    expected: str


@dataclass
class CheckReport:
    """What `check_tune` found; `score` ranks candidates (1 = clean, complete tune)."""

    title: str | None
    parses: bool
    error: str | None = None
    error_line: int | None = None
    error_text: str | None = None
    meter: str | None = None
    unit_length: str | None = None
    key: str | None = None
    bars: int = 0
    bad_bars: list[BarIssue] = field(default_factory=list)
    open_repeats: list[int] = field(default_factory=list)  # lines of `|:` never closed
    ended: bool = False
    ended_inferred: bool = True
    voices: int = 0
    notes: int = 0
    warnings: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def ok(self) -> bool:
        return self.parses and not self.bad_bars and not self.open_repeats and self.bars > 0

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["ok"] = self.ok
        return d


def _open_repeats(bars: list[Bar]) -> list[int]:
    """Lines of `|:` tokens with no `:|` before the next `|:` or the end of the voice."""
    open_at: int | None = None
    found: list[int] = []
    for b in bars:
        if b.left is not None and b.left.starts_repeat:
            if open_at is not None:
                found.append(open_at)
            open_at = b.left.line
        if b.right is not None and b.right.ends_repeat:
            open_at = None
    if open_at is not None:
        found.append(open_at)
    return found



def _locate_error(tune: Tune, bars: list[Bar]) -> tuple[int | None, str | None]:
    """First bar whose addition makes music21 fail (binary search): its line and text."""
    lo, hi = 0, len(bars)  # invariant: prefix lo parses, prefix hi fails
    try:
        parse_music21(durations_abc(tune, bars, 0))
    except Exception:
        return None, None  # the header alone fails; the caller reports the K:/M:/L: line
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            parse_music21(durations_abc(tune, bars, mid))
            lo = mid
        except Exception:
            hi = mid
    b = bars[hi - 1] if hi >= 1 else None
    if b is None:
        return None, None
    return b.line, tune.text.split("\n")[b.line - 1] if b.line >= 1 else None


def _header_error_line(tune: Tune) -> tuple[int | None, str | None]:
    for k, ln in enumerate(tune.header_lines):
        if ln[:2] in ("K:", "M:", "L:"):
            others = "".join(f"{f}:{v}\n" for f, v in (("L", "1/8"), ("M", "4/4"))
                             if not ln.startswith(f + ":"))
            text = f"X:1\n{others}{ln}\n" + ("" if ln.startswith("K:") else "K:C\n") + "C|\n"
            try:
                parse_music21(text)
            except Exception:
                return k + 1, ln
    return None, None


def _ok_partners(i: int, bars: list[Bar], order: list[int]) -> set[int]:
    """Bars that may hold the other half of bar i when i is split at a repeat or section."""
    partners: set[int] = set()
    b = bars[i]
    if i > 0 and b.left is not None and (b.left.text.strip("|") or b.ending or b.left.section_end):
        partners.add(i - 1)
    if i + 1 < len(bars) and b.right is not None and (
        b.right.text.strip("|") or b.right.section_end or bars[i + 1].ending
    ):
        partners.add(i + 1)
    for k in range(len(order) - 1):
        if order[k] == i:
            partners.add(order[k + 1])
        if order[k + 1] == i:
            partners.add(order[k])
    if b.right is not None and (b.right.ends_repeat or b.right.section_end):
        # back to the start of the section: the pickup before or after its `|:`
        for k in range(i, -1, -1):
            if bars[k].left is not None and (bars[k].left.starts_repeat or
                                            (k and bars[k - 1].right is not None
                                             and bars[k - 1].right.section_end)):
                partners.update({k, k - 1} if k else {k})
                break
        partners.add(0)
    partners.discard(i)
    return {p for p in partners if 0 <= p < len(bars)}


def check_tune(abc: str, *, ended: bool | None = None) -> CheckReport:
    """Check one ABC tune: music21 parse, header, bar lengths, repeats, ending.

    `ended` tells whether the sampler stopped at end-of-tune (True) or at its length limit
    (False); None infers it from the text (a tune that stops on a bar line ended).
    Raises ABCError for text longer than MAX_ABC_CHARS.
    """
    abc = tune_text(abc)
    check_size(abc)
    tune = parse_tune(abc)
    rep = CheckReport(title=tune.title, parses=False)
    rep.meter = tune.header.get("M")
    rep.unit_length = tune.header.get("L")
    rep.key = tune.header.get("K")
    for letter, name in (("K", "key (K:)"), ("M", "meter (M:)"), ("L", "unit length (L:)")):
        if letter not in tune.header:
            rep.warnings.append(f"no {name} field")
    blocks = voice_blocks(tune)
    rep.voices = len(blocks)
    bars_all = blocks[0][2] if blocks else []
    bars = [b for b in bars_all if b.has_notes]
    rep.bars = len(bars)
    rep.ended = tune.last_token_is_bar if ended is None else bool(ended)
    rep.ended_inferred = ended is None
    for _, _, vb in blocks:
        rep.open_repeats.extend(_open_repeats(vb))
    if not bars:
        rep.error = "no notes found"
        rep.score = 0.0
        return rep
    try:
        lengths, rep.notes = bar_lengths(tune, bars)
        rep.parses = True
    except Exception as e:  # music21 raises many types on bad ABC
        # music21 quotes the text it read, bar-length markers (`Q:1/4=1000002`) and all: not the musician's
        rep.error = _MARKER.sub(" ", f"{type(e).__name__}: {e}")[:500]
        line, text = _header_error_line(tune)
        if line is None:
            line, text = _locate_error(tune, bars)
        rep.error_line, rep.error_text = line, text
        rep.score = 0.0
        return rep

    # Bar lengths against the meter in effect at each bar.
    order = play_order(bars)
    for i, b in enumerate(bars):
        want = meter_length(b.state.get("M", rep.meter))
        got = lengths[i]
        if want is None or got is None or got == want or got == 0:
            continue
        if got < want:
            if i == 0 or i == len(bars) - 1:
                continue  # pickup, or final partial bar
            if any(lengths[p] is not None and got + lengths[p] == want
                   for p in _ok_partners(i, bars, order)):
                continue
        rep.bad_bars.append(BarIssue(i + 1, b.line, b.music[:80], str(got), str(want)))
    if meter_length(rep.meter) is None and rep.meter not in (None,):
        rep.warnings.append(f"meter {rep.meter!r} is free or unknown; bar lengths not checked")
    rep.score = _score(rep)
    return rep


def _score(rep: CheckReport) -> float:
    if not rep.parses or rep.bars == 0:
        return 0.0
    bar_ok = 1.0 - len(rep.bad_bars) / rep.bars
    header = sum(x is not None for x in (rep.meter, rep.unit_length, rep.key)) / 3
    s = (0.45 * bar_ok + 0.2 * rep.ended + 0.15 * (not rep.open_repeats)
         + 0.1 * header + 0.1 * min(rep.bars, 8) / 8)
    return round(max(0.0, min(1.0, s)), 4)


# ----------------------------------------------------------------------------- repair


