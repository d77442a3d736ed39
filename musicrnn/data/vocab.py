"""Character vocabulary: the corpus's characters plus an end-of-tune token, saved inside each checkpoint."""
from __future__ import annotations

import numpy as np

from musicrnn.errors import VocabError

EOS = "<eos>"


class Vocab:
    """Maps characters to ids; id 0 is `<eos>`, which ends a tune in the encoded stream and in sampling."""

    def __init__(self, tokens: list[str]):
        if not tokens or tokens[0] != EOS:
            raise VocabError(f"a vocabulary starts with {EOS!r}; got {tokens[:1]!r}")
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        # A byte → id table makes encoding a whole corpus one numpy lookup (the text is ASCII after cleaning).
        self._lut = np.full(256, -1, dtype=np.int16)
        for i, t in enumerate(self.tokens[1:], start=1):
            if len(t) == 1 and ord(t) < 256:
                self._lut[ord(t)] = i

    @classmethod
    def from_texts(cls, texts: list[str]) -> Vocab:
        chars: set[str] = set()
        for t in texts:
            chars.update(t)
        return cls([EOS] + sorted(chars))

    @property
    def eos_id(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, ch: str) -> bool:
        return ch in self.index

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` the vocabulary lacks, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def encode(self, text: str, what: str = "text") -> list[int]:
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing)
            raise VocabError(f"{what} holds characters the model does not know: {shown}")
        return [self.index[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.tokens[i] for i in ids if i != 0)

    def encode_stream(self, tunes: list[str]) -> np.ndarray:
        """All tunes joined into one array, each followed by `<eos>` (uint8 when the vocabulary fits)."""
        joined = "\x00".join(tunes) + "\x00" if tunes else ""
        try:
            raw = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
        except UnicodeEncodeError:
            raise VocabError(f"corpus holds characters outside the vocabulary: {self.unknown(joined)}") from None
        ids = self._lut[raw]
        ids[raw == 0] = 0
        if (ids < 0).any():
            bad = sorted({chr(b) for b in raw[ids < 0]})
            raise VocabError(f"corpus holds characters outside the vocabulary: {bad}")
        return ids.astype(np.uint8 if len(self) <= 256 else np.int16)
