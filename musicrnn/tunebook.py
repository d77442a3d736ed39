"""The tunebook: saved tunes in SQLite, with the settings that made each one, so it can be reproduced.

The file is `$MUSICRNN_TUNEBOOK`, else `tunebook.sqlite` in the user's data folder
(`$XDG_DATA_HOME/musicrnn`, `~/.local/share/musicrnn`; `%APPDATA%\\musicrnn` on Windows).
Each call opens its own connection and keeps nothing of it on the object, so one `Tunebook` may serve any
number of app sessions (threads) at once. A tune's `owner` is the mark of the session that saved it (the app
lets that session edit it without the teacher's password). The file is read as untrusted: a value of the wrong
type in a row is read as the nearest sensible value (a title as text, bad settings as none).
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from musicrnn.errors import MusicRNNError
from musicrnn.notation.tunes import normalize_newlines, split_tunes, tune_label

SCHEMA = """
CREATE TABLE IF NOT EXISTS tunes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    abc TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    owner TEXT
)
"""
INSERT = "INSERT INTO tunes (title, abc, settings, created, updated, owner) VALUES (?, ?, ?, ?, ?, ?)"
MAX_ABC = 100_000
#: The most tunes one import adds (a whole collection belongs in the Dataset page, not the tunebook).
MAX_IMPORT = 500


class TunebookError(MusicRNNError):
    """The tunebook file cannot be opened or written, or a tune is not there."""


def data_dir() -> Path:
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "musicrnn"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "musicrnn"


def default_path() -> Path:
    return Path(os.environ.get("MUSICRNN_TUNEBOOK") or data_dir() / "tunebook.sqlite").expanduser()


@dataclass
class Tune:
    id: int
    title: str
    abc: str
    settings: dict = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0
    owner: str | None = None

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))


def title_of(abc: str, default: str = "Untitled") -> str:
    """The tune's `T:` field, else the default."""
    for line in abc.splitlines():
        if line.startswith("T:") and line[2:].strip():
            return line[2:].strip()[:200]
    return default


def with_title(abc: str, title: str) -> str:
    """The tune with its `T:` field set to `title` (after `X:`), so exported files carry the name."""
    lines = abc.strip("\n").splitlines()
    lines = [ln for ln in lines if not ln.startswith("T:")]
    at = 1 if lines and lines[0].startswith("X:") else 0
    lines.insert(at, f"T:{title}")
    return "\n".join(lines) + "\n"


@dataclass
class ImportReport:
    """What `Tunebook.import_abc` did: the ids it added, how many tunes the book already held (same text), and
    each tune it left out, with why."""

    added: list[int] = field(default_factory=list)
    already: int = 0
    left_out: list[str] = field(default_factory=list)


class Tunebook:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path).expanduser() if path is not None else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute(SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(tunes)")}
                if "owner" not in columns:  # a tunebook from before owners
                    db.execute("ALTER TABLE tunes ADD COLUMN owner TEXT")
        except (OSError, sqlite3.Error) as e:
            raise TunebookError(f"{self.path}: cannot open the tunebook ({e})") from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def _run(self, sql: str, args=()) -> tuple[list[sqlite3.Row], int | None, int]:
        """(rows, id of an inserted row, rows changed) of one statement in its own connection."""
        try:
            with closing(self._connect()) as db, db:
                cur = db.execute(sql, args)
                return cur.fetchall(), cur.lastrowid, cur.rowcount
        except sqlite3.Error as e:
            raise TunebookError(f"{self.path}: {e}") from None

    @staticmethod
    def _tune(row: sqlite3.Row) -> Tune:
        try:
            settings = json.loads(row["settings"] or "{}")
        except (TypeError, ValueError):
            settings = {}

        def number(v) -> float:
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0

        owner = row["owner"]
        return Tune(int(row["id"]), str(row["title"] if row["title"] is not None else "Untitled"),
                    str(row["abc"] if row["abc"] is not None else ""), settings if isinstance(settings, dict) else {},
                    number(row["created"]), number(row["updated"]), owner if isinstance(owner, str) else None)

    def add(self, abc: str, title: str | None = None, settings: dict | None = None, owner: str | None = None) -> int:
        abc = (abc or "").strip()
        if not abc:
            raise TunebookError("nothing to save: the tune is empty")
        if len(abc) > MAX_ABC:
            raise TunebookError(f"the tune has {len(abc)} characters, more than {MAX_ABC}")
        now = time.time()
        title = (title or "").strip() or title_of(abc)
        _, row_id, _ = self._run(INSERT, (title, abc, json.dumps(settings or {}, default=str), now, now, owner))
        return int(row_id)

    def import_abc(self, text: str, *, source: str, owner: str | None = None) -> ImportReport:
        """Add every tune of an ABC file's text (split at `X:`), titled by its `T:`, with `source` (the file's
        name) as its setting. A tune the book already holds, word for word, is not added again; one without a
        `K:` line, an oversized one, or one past MAX_IMPORT is left out and named; a tune the player cannot
        read is added (it shows the problem, and Repair… may mend it). All are added in one transaction: every
        one or, when the file cannot be written, none. TunebookError when the text holds no tune at all."""
        report = ImportReport()
        rows, _, _ = self._run("SELECT abc FROM tunes")
        have = {str(r["abc"]).strip() for r in rows}
        text = normalize_newlines(text)
        pieces = split_tunes(text, raw=True) or [text]
        head = text[:len(text) - sum(map(len, pieces))]  # what comes before the first X:
        lines = [1 + n for n in accumulate([head.count("\n")] + [p.count("\n") for p in pieces[:-1]])]
        tunes = [p.strip() for p in pieces]
        keyed = [any(line.startswith("K:") for line in t.splitlines()) for t in tunes]
        if not any(keyed):
            raise TunebookError(f"{source}: no ABC tune in it (a tune starts with an X: line and has a K: line)")
        new: list[str] = []
        over = 0
        for k, (abc, has_key, line) in enumerate(zip(tunes, keyed, lines), 1):
            name = f"{source}, line {line}: tune {k} ({tune_label(abc)})"
            if abc in have:
                report.already += 1
            elif not has_key:
                report.left_out.append(f"{name}: not a tune: it has no K: line")
            elif len(abc) > MAX_ABC:
                report.left_out.append(f"{name}: {len(abc):,} characters, more than {MAX_ABC:,}")
            elif len(new) >= MAX_IMPORT:
                over += 1
            else:
                have.add(abc)
                new.append(abc)
        if over:
            report.left_out.append(f"{over:,} more tunes of {source}: one import adds at most {MAX_IMPORT}")
        now = time.time()
        settings = json.dumps({"imported from": source})
        try:
            with closing(self._connect()) as db, db:  # one transaction: a failed write adds nothing
                for k, abc in enumerate(new):  # created a millisecond apart: the file's order is the book's
                    cur = db.execute(INSERT, (title_of(abc), abc, settings, now + k * 1e-3, now + k * 1e-3, owner))
                    report.added.append(int(cur.lastrowid))
        except sqlite3.Error as e:
            raise TunebookError(f"{self.path}: nothing imported from {source}: {e}") from None
        return report

    def get(self, tune_id: int) -> Tune:
        rows, _, _ = self._run("SELECT * FROM tunes WHERE id = ?", (int(tune_id),))
        if not rows:
            raise TunebookError(f"no tune {tune_id} in the tunebook")
        return self._tune(rows[0])

    def list(self, search: str | None = None) -> list[Tune]:
        if search:
            like = f"%{search}%"
            rows, _, _ = self._run("SELECT * FROM tunes WHERE title LIKE ? OR abc LIKE ? "
                                   "ORDER BY created DESC, id DESC", (like, like))
        else:
            rows, _, _ = self._run("SELECT * FROM tunes ORDER BY created DESC, id DESC")
        return [self._tune(r) for r in rows]

    def update(self, tune_id: int, *, abc: str | None = None, title: str | None = None) -> None:
        t = self.get(tune_id)
        abc = t.abc if abc is None else abc.strip()
        if not abc:
            raise TunebookError("a saved tune cannot be empty; delete it instead")
        title = t.title if title is None else (title.strip() or t.title)
        self._run("UPDATE tunes SET abc = ?, title = ?, updated = ? WHERE id = ?", (abc, title, time.time(), t.id))

    def delete(self, tune_id: int) -> None:
        _, _, changed = self._run("DELETE FROM tunes WHERE id = ?", (int(tune_id),))
        if not changed:
            raise TunebookError(f"no tune {tune_id} in the tunebook")

    def export_abc(self) -> str:
        """All tunes as one `.abc` file: `X:` numbered from 1, titles as `T:`, settings as a comment."""
        parts = []
        for n, t in enumerate(reversed(self.list()), 1):
            lines = [ln for ln in with_title(t.abc, t.title).splitlines() if not ln.startswith("X:")]
            made = ", ".join(f"{k}={v}" for k, v in t.settings.items() if v not in (None, ""))
            head = [f"X:{n}"] + ([f"% {made}".replace("\n", "\\n")] if made else [])
            parts.append("\n".join(head + lines) + "\n")
        return "\n".join(parts)
