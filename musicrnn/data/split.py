"""The train/validation split: a source's own (IrishMAN's) or by a hash of each tune's content."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from musicrnn.data.clean import CleanReport, clean_tunes
from musicrnn.data.sources import RawCorpus, read_source, source_fingerprint
from musicrnn.errors import CorpusError


def is_validation(tune: str, val_fraction: float) -> bool:
    """Deterministic split by content: the same tune lands on the same side whatever the order or source."""
    h = int.from_bytes(hashlib.blake2b(tune.encode(), digest_size=8).digest(), "big")
    return (h % 10_000) < val_fraction * 10_000


@dataclass
class Corpus:
    """Clean tunes split into train and validation, with the cleaning report."""

    source: str
    fingerprint: str
    train: list[str]
    val: list[str]
    report: CleanReport
    split: str  # "source" (IrishMAN's own) or "hash:<fraction>"

    @property
    def all_tunes(self) -> list[str]:
        return self.train + self.val

    def describe(self) -> dict:
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "split": self.split,
            "train_tunes": len(self.train),
            "val_tunes": len(self.val),
            "train_chars": sum(len(t) for t in self.train),
            "val_chars": sum(len(t) for t in self.val),
            "cleaning": self.report.to_dict(),
        }


def load_corpus(src: str | os.PathLike | None = "music21", val_fraction: float = 0.05,
                keep_optional: bool = False) -> Corpus:
    """Read, clean and split a source. Errors name the file and record; an empty corpus is an error."""
    return clean_corpus(read_source(src), val_fraction, keep_optional)


def clean_corpus(raw: RawCorpus, val_fraction: float = 0.05, keep_optional: bool = False) -> Corpus:
    """Clean and split tunes already read (IrishMAN's own split when it has one, else by content hash)."""
    report = CleanReport()
    if raw.val is not None:
        train, _ = clean_tunes(raw.train, keep_optional, report)
        val, _ = clean_tunes(raw.val, keep_optional, report)
        split = "source"
    else:
        tunes, _ = clean_tunes(raw.train, keep_optional, report)
        train, val = [], []
        for t in tunes:
            (val if is_validation(t, val_fraction) else train).append(t)
        split = f"hash:{val_fraction}"
    if not train and not val:
        where = ", ".join(raw.files[:3]) + (" …" if len(raw.files) > 3 else "")
        raise CorpusError(f"{raw.source}: no tunes found after cleaning "
                          f"(read {report.tunes_in} from {where or 'nothing'})")
    return Corpus(raw.source, source_fingerprint(raw), train, val, report, split)
