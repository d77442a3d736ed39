"""The tunes an inspection reads: a source's tunes exactly as `evaluate` reads them, or the validation tunes a
checkpoint was trained beside."""
from __future__ import annotations

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


def validation_tunes(ckpt: dict) -> list[str]:
    """The validation tunes of the corpus a checkpoint was trained on (its `data` source and `val_fraction`),
    from the stream cache when it holds them."""
    source = (ckpt.get("data") or {}).get("source")
    if not source:
        raise CorpusError(f"{ckpt.get('path', 'the checkpoint')}: says nothing of the corpus it was trained on; "
                          "give the tunes to read")
    val_fraction = (ckpt.get("train_config") or {}).get("val_fraction", 0.05)
    prepared = prepare(source, val_fraction=val_fraction)
    tunes = [prepared.vocab.decode(t) for t in prepared.val_tunes()]
    if not tunes:
        raise CorpusError(f"{source}: has no validation tunes; give the tunes to read")
    return tunes
