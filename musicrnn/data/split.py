"""The train/validation split: a source's own (IrishMAN's) or by a hash of each tune's content."""
from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass

from musicrnn.data.clean import CleanReport, clean_tunes
from musicrnn.data.sources import RawCorpus, read_source, source_fingerprint
from musicrnn.errors import CorpusError
from musicrnn.notation.fields import header_value

_RHYTHM_LINE = re.compile(r"^R:.*\n", re.M)
#: A corpus split by hash keeps at least this many validation tunes (at most a fifth of it): 5 % of the 24
#: tunes a musician uploads to fine-tune on is one tune, too few to tell a better model from a worse one.
MIN_VAL_TUNES = 5


def split_rank(tune: str) -> tuple[int, int]:
    """Where a tune's content hash puts it: the first number below `val_fraction * 10_000` is validation.

    The rhythm line does not count: cleaning learned to keep `R:` after models were trained, and a tune must
    not move between the splits because of it (its tunes are still each on the side they were)."""
    h = int.from_bytes(hashlib.blake2b(_RHYTHM_LINE.sub("", tune, count=1).encode(), digest_size=8).digest(),
                       "big")
    return h % 10_000, h


def is_validation(tune: str, val_fraction: float) -> bool:
    """Deterministic split by content: the same tune lands on the same side whatever the order or source."""
    return split_rank(tune)[0] < val_fraction * 10_000


def hash_split(tunes: list[str], val_fraction: float) -> tuple[list[str], list[str]]:
    """(train, validation) by content hash, in the tunes' order; when that leaves fewer than MIN_VAL_TUNES
    (or a fifth of a small corpus) for validation, the training tunes whose hash comes nearest move over, so
    the split still depends on the tunes alone, not on their order."""
    on_val = [is_validation(t, val_fraction) for t in tunes]
    train = [t for t, v in zip(tunes, on_val) if not v]
    val = [t for t, v in zip(tunes, on_val) if v]
    short = min(MIN_VAL_TUNES, len(tunes) // 5) - len(val)
    if short > 0:
        moved = set(sorted(train, key=lambda t: (split_rank(t), t))[:short])
        val = [t for t in tunes if t in moved or t in val]
        train = [t for t in train if t not in moved]
    return train, val


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
            "tune_types": tune_type_table(self.train),
        }


def tune_type_table(tunes: list[str]) -> dict:
    """Per tune type (`R:`) of `tunes`: how many, and the meter and unit length most of them are written in
    (what a prime asking for the type should say), most common type first."""
    by_type: dict[str, list[tuple[str | None, str | None]]] = {}
    for t in tunes:
        rhythm = header_value(t, "R")
        if rhythm:
            by_type.setdefault(rhythm, []).append((header_value(t, "M"), header_value(t, "L")))
    table = {}
    for rhythm, rows in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
        (meter, unit), _ = Counter(rows).most_common(1)[0]  # the pair: a 2/4 hornpipe is written in 1/16s
        table[rhythm] = {"tunes": len(rows), "meter": meter, "unit": unit}
    return table


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
        train, val = hash_split(tunes, val_fraction)
        split = f"hash:{val_fraction}"
    if not train and not val:
        where = ", ".join(raw.files[:3]) + (" …" if len(raw.files) > 3 else "")
        raise CorpusError(f"{raw.source}: no tunes found after cleaning "
                          f"(read {report.tunes_in} from {where or 'nothing'})")
    return Corpus(raw.source, source_fingerprint(raw), train, val, report, split)


def merge_type_tables(*tables: dict) -> dict:
    """Tune-type tables (`tune_type_table`) added together: the tunes of each type summed, its meter and unit
    length from the table with the most tunes of it, most common type first."""
    rows: dict[str, dict] = {}
    for table in tables:
        for name, row in (table or {}).items():
            if not isinstance(row, dict) or not isinstance(row.get("tunes"), int):
                continue
            have = rows.get(name)
            if have is None or row["tunes"] > have["tunes"]:
                rows[name] = {**row, "tunes": row["tunes"] + (have["tunes"] if have else 0)}
            else:
                have["tunes"] += row["tunes"]
    return dict(sorted(rows.items(), key=lambda kv: -kv[1]["tunes"]))

