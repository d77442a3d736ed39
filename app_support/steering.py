"""What the sampler's steering did to one tune, in words for the studio: the bars it kept to the meter, the
endings it drew again toward the key's final, the ends it put off until a second part. A musician or a student
then knows which choices were the model's own."""
from __future__ import annotations


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def steering_note(bar_breaks: int = 0, redrawn: int = 0, put_off: int = 0) -> str | None:
    """One sentence per kind of steering that happened (None when the tune is the model's draws alone)."""
    parts = []
    if bar_breaks:
        parts.append(f"Left to itself, the model would have made a bar too long {_times(bar_breaks)}; each time "
                     f"it drew again from what fits the meter.")
    if put_off:
        parts.append(f"It tried to end the tune before a second part {_times(put_off)}; each time the end was "
                     f"put off and the tune went on.")
    if redrawn:
        parts.append(f"Its last bar was drawn again {_times(redrawn)} to end nearer the key's final, as the "
                     f"tunes of its type do.")
    return " ".join(parts) or None
