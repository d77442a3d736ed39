"""Training settings: one dataclass, presets for a quick CPU run and the seed report's GPU scale, the schedule."""
from __future__ import annotations

import math
from dataclasses import dataclass

from musicrnn.errors import OptionError
from musicrnn.model.network import ModelConfig, Settings

# Presets: (model fields, training fields). `cpu` trains a useful model on the embedded corpus within an
# hour on 2 cores; `gpu` is the seed report's scale (embedding 256, hidden 1024, 3 layers) with big batches.
PRESETS: dict[str, tuple[dict, dict]] = {
    "tiny": (dict(embedding_dim=32, hidden_size=64, layers=1, dropout=0.0),
             dict(batch_size=16, seq_len=64, lr=3e-3, eval_every=50, eval_chars=20_000, sample_chars=200)),
    "cpu": (dict(embedding_dim=64, hidden_size=512, layers=1, dropout=0.1),
            dict(batch_size=64, seq_len=128, lr=4e-3, epochs=12, eval_every=250, patience=6)),
    "gpu": (dict(embedding_dim=256, hidden_size=1024, layers=3, dropout=0.3),
            dict(batch_size=256, seq_len=256, lr=2e-3, epochs=30, eval_every=250, patience=8,
                 eval_chars=400_000)),
}


#: A fine-tune's learning rate at most, where it names none of its own: the shipped model's fine-tunes used
#: 1.5e-4 to 4e-4, while a preset's rate for a new network (2e-3 to 4e-3) undoes the pre-training in a few
#: dozen steps on a musician's handful of tunes.
FINE_TUNE_LR = 3e-4
#: Warm-up and validation interval are at most this share of a run, so that a short run (a fine-tune on a few
#: tunes is a few dozen steps) still warms up, and is validated, and its best step kept, along the way.
SHORT_RUN_SHARE = 0.1

RESUMABLE = ("max_steps", "epochs", "patience", "device", "tensorboard", "eval_every", "log_every")


@dataclass
class TrainConfig(Settings):
    data: str = "music21"
    out: str = "runs/default"
    batch_size: int = 64
    seq_len: int = 128
    lr: float = 3e-3
    weight_decay: float = 0.01
    epochs: float = 10.0
    max_steps: int | None = None  # overrides epochs when set
    warmup_steps: int = 100
    schedule: str = "cosine"  # "cosine", "plateau" or "constant"
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0
    eval_every: int = 200
    eval_chars: int = 150_000  # validation characters scored at each validation (the stream, not per tune)
    patience: int = 5  # validations without improvement before early stopping; 0 disables
    log_every: int = 10
    seed: int = 1337
    device: str = "auto"
    val_fraction: float = 0.05
    sample_chars: int = 400  # length cap of the tune sampled at each validation
    tensorboard: bool = False
    init: str | None = None  # start from this checkpoint's weights (fine-tuning); fresh optimizer and schedule
    # "random" windows of the stream, or whole "tunes" from their start (batches.py); None: as the model a
    # fine-tune starts from was trained (the shipped model: whole tunes), else random
    windows: str | None = None
    augment_keys: int = 0  # transposed copies of each training tune, 0 to 11 (data/key_augment.py)
    # The context inputs' learning rate over `lr`: they start at zero in a fine-tune, and at the base rate
    # AdamW moves them too little to matter within one (a norm of 0.03 after 700 steps, the characters' ~8).
    context_lr_scale: float = 1.0
    # The loss weight of the characters in a part's last bars (data/cadences.py), 1 for a plain mean.
    cadence_weight: float = 1.0
    cadence_bars: int = 2  # how much of a part's end that weight covers: its last N bars, or 0 for its last note
    # The share of input notes replaced by random ones while training (data/note_noise.py), 0 for none.
    note_noise: float = 0.0
    # "head": only the output layer learns (a fine-tune that leaves what the network reads and counts alone).
    train_only: str = "all"

    def __post_init__(self):
        for name, low in (("batch_size", 1), ("seq_len", 1), ("warmup_steps", 0), ("eval_every", 1),
                          ("eval_chars", 1), ("patience", 0), ("log_every", 1), ("sample_chars", 1), ("seed", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise OptionError(f"{name} {value!r}: must be a whole number of at least {low}")
        if not isinstance(self.cadence_bars, int) or isinstance(self.cadence_bars, bool) \
                or not 0 <= self.cadence_bars <= 16:
            raise OptionError(f"cadence_bars {self.cadence_bars!r}: must be a whole number from 0 to 16")
        if not isinstance(self.augment_keys, int) or isinstance(self.augment_keys, bool) \
                or not 0 <= self.augment_keys <= 11:
            raise OptionError(f"augment_keys {self.augment_keys!r}: must be a whole number from 0 to 11")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise OptionError(f"max_steps {self.max_steps!r}: must be a whole number of at least 1")
        for name, zero_ok, high in (("lr", False, 10), ("epochs", False, 1e6), ("weight_decay", True, 10),
                                    ("min_lr_ratio", True, 1), ("grad_clip", False, 1e6), ("val_fraction", False, 1),
                                    ("context_lr_scale", False, 1000), ("cadence_weight", False, 100),
                                    ("note_noise", True, 0.5)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value > high \
                    or value < 0 or (value == 0 and not zero_ok):
                raise OptionError(f"{name} {value!r}: must be a number {'of at least' if zero_ok else 'above'} 0 "
                                  f"and at most {high:g}")
        if self.schedule not in ("cosine", "plateau", "constant"):
            raise OptionError(f"schedule {self.schedule!r}: must be cosine, plateau or constant")
        if self.train_only not in ("all", "head"):
            raise OptionError(f"train_only {self.train_only!r}: must be all or head")
        if self.windows not in (None, "random", "tunes"):
            raise OptionError(f"windows {self.windows!r}: must be random or tunes")


def configs_from_preset(preset: str | None, model_overrides: dict | None = None,
                        train_overrides: dict | None = None) -> tuple[ModelConfig, TrainConfig]:
    """Start from a preset (or the defaults) and apply explicit settings (None values are ignored)."""
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    m, t = PRESETS.get(preset, ({}, {}))
    given = {k: v for k, v in (train_overrides or {}).items() if v is not None}
    m = {**m, **{k: v for k, v in (model_overrides or {}).items() if v is not None}}
    t = {**t, **given}
    if t.get("init") and "lr" not in given:
        t["lr"] = fine_tune_lr(t.get("lr", TrainConfig.lr))
    return ModelConfig(**m), TrainConfig(**t)


def fine_tune_lr(lr: float) -> float:
    """A fine-tune's learning rate for a preset's `lr`: FINE_TUNE_LR, or the preset's own if lower."""
    return min(lr, FINE_TUNE_LR)


def eval_interval(cfg: TrainConfig, total_steps: int) -> int:
    """Steps between validations: `eval_every`, or a tenth of a shorter run."""
    return max(1, min(cfg.eval_every, int(total_steps * SHORT_RUN_SHARE)))



def lr_factor(step: int, cfg: TrainConfig, total_steps: int) -> float:
    """Linear warm-up (`warmup_steps`, or a tenth of a shorter run), then cosine decay to `min_lr_ratio` (or
    flat for the plateau/constant schedules)."""
    warmup = min(cfg.warmup_steps, int(total_steps * SHORT_RUN_SHARE))
    if step < warmup:
        return (step + 1) / warmup
    if cfg.schedule != "cosine":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

