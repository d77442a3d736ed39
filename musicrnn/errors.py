"""Errors the library raises for bad input: each message names the file, record, line or character at fault."""


class MusicRNNError(Exception):
    """Base class: the CLI prints these as one line on stderr and exits non-zero, with no traceback."""


class CorpusError(MusicRNNError):
    """A source that cannot be read: missing file, malformed JSON, record without ABC, empty corpus."""


class CheckpointError(MusicRNNError):
    """A file that is not a musicrnn checkpoint, or a truncated one."""


class VocabError(MusicRNNError):
    """Text holding characters the model's vocabulary does not know."""


class TrainingError(MusicRNNError):
    """Training stopped for a reason the user must see (non-finite loss, a run already active...)."""


class ABCError(MusicRNNError):
    """ABC text that a converter cannot handle; the message names the tune and, where known, the line."""


class RenderError(MusicRNNError):
    """A conversion (MIDI, audio, score) that failed, crashed its worker, or ran past its time limit."""


class WorkerCrashError(RenderError):
    """A render worker process died (segfault, abort) during a conversion; it was replaced."""


class WorkerTimeoutError(RenderError):
    """A conversion ran past its time limit; its worker was stopped and replaced."""


class OptionError(MusicRNNError, ValueError):
    """An option out of its range (temperature, top-p, number of tunes...): the CLI exits 2 with this line."""
