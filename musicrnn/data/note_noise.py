"""Wrong notes in the training inputs (`--note-noise`), so the model learns to find its way from its own.

A sampled tune is read back by the model it came from, wrong notes and all; the training text never has any,
so a model can lean on the exact notes before it (a real bar 7 already implies the cadence of bar 8) and lose
its way after a note of its own making. Replacing a share of the input notes with random ones, the targets left
as they are, teaches it to end a part from where the part stands (its bar, its key) as well as from the notes.
"""
from __future__ import annotations

import torch

NOTE_LETTERS = frozenset("ABCDEFGabcdefg")


def note_ids(tokens: list[str]) -> torch.Tensor:
    """The ids of the tokens that are note letters."""
    return torch.tensor([i for i, t in enumerate(tokens) if t in NOTE_LETTERS], dtype=torch.long)


def add_note_noise(x: torch.Tensor, notes: torch.Tensor, share: float, gen: torch.Generator) -> torch.Tensor:
    """`x` (input ids) with each note letter replaced, with probability `share`, by a note letter drawn
    uniformly (it may draw the same one); every other id is kept."""
    if share <= 0 or not len(notes):
        return x
    is_note = torch.isin(x, notes)
    hit = is_note & (torch.rand(x.shape, generator=gen) < share)
    drawn = notes[torch.randint(0, len(notes), x.shape, generator=gen)]
    return torch.where(hit, drawn, x)
