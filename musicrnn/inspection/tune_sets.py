"""The tunes an inspection reads: a source's tunes exactly as `evaluate` reads them, or the validation tunes a
checkpoint was trained beside."""
from __future__ import annotations

from typing import NamedTuple

from musicrnn.data.stream import prepare
from musicrnn.errors import CorpusError
from musicrnn.generation.scoring import tunes_to_score


def source_tunes(src, *, split: str | None = None, val_fraction: float = 0.05) -> list[str]:
    """The cleaned tunes `evaluate --data src` scores (all tunes of an `.abc` file or folder); CorpusError when
    none is left."""
    tunes, _, source = tunes_to_score(src, split=split, val_fraction=val_fraction)
    if not tunes:
        raise CorpusError(f"{source}: no tunes to read after cleaning")
    return tunes


#: What a checkpoint's description of its corpus and the corpus read today must share for today's validation
#: tunes to be the ones it was validated on (the split hashes each cleaned tune).
SPLIT_FIELDS = ("fingerprint", "split", "train_tunes", "val_tunes", "train_chars", "val_chars")


class ValidationTunes(NamedTuple):
    tunes: list[str]
    changed: str | None  # why some of them may be tunes the model trained on; None when the corpus is the same


def split_changes(then: dict, now: dict) -> str | None:
    """What differs between a checkpoint's corpus description (`then`) and today's (`now`), in words; None when
    nothing does. A field the checkpoint does not record is not compared."""
    diffs = [f"{k} {then[k]} then, {now.get(k)} now" for k in SPLIT_FIELDS if k in then and then[k] != now.get(k)]
    if not diffs:
        return None
    return (f"{then.get('source')} has changed since this model was trained ({'; '.join(diffs)}): some of these "
            "validation tunes may be tunes it trained on, where it looks less surprised than on new ones")


def validation_split(ckpt: dict) -> ValidationTunes:
    """The validation tunes of the corpus a checkpoint was trained on (its `data` source and `val_fraction`),
    from the stream cache when it holds them, and whether that corpus has changed since (`split_changes`)."""
    return _split(ckpt, "val")


def training_split(ckpt: dict) -> ValidationTunes:
    """The training tunes of the corpus a checkpoint was trained on, as `validation_split` reads its
    validation tunes."""
    return _split(ckpt, "train")


def _split(ckpt: dict, part: str) -> ValidationTunes:
    data = ckpt.get("data") or {}
    source = data.get("source")
    if not source:
        raise CorpusError(f"{ckpt.get('path', 'the checkpoint')}: says nothing of the corpus it was trained on; "
                          "give the tunes to read")
    val_fraction = (ckpt.get("train_config") or {}).get("val_fraction", 0.05)
    prepared = prepare(source, val_fraction=val_fraction)
    tunes = prepared.texts(part)
    if not tunes:
        raise CorpusError(f"{source}: has no {'validation' if part == 'val' else 'training'} tunes; give the "
                          "tunes to read")
    return ValidationTunes(tunes, split_changes(data, prepared.description))


def validation_tunes(ckpt: dict) -> list[str]:
    """The validation tunes of the corpus a checkpoint was trained on (`validation_split` without its note)."""
    return validation_split(ckpt).tunes
