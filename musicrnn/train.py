"""Training: windows from the encoded stream, AdamW, clipping, warm-up + cosine (or plateau) schedule,
early stopping, bf16 autocast on CUDA, atomic `best.pt`/`last.pt`, exact resume, and DDP under torchrun.

The run folder is the source of truth: `run.json` (status, config, heartbeat), `metrics.jsonl` (one event a
line), `samples.jsonl` (a short tune at each validation) next to the checkpoints, so any viewer (the app,
a second browser, a later server) can follow or resume the run.
"""
from __future__ import annotations

import json
import math
import os
import random
import socket
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from musicrnn.batches import IGNORE, make_batches
from musicrnn.checkpoint import atomic_save, load_checkpoint, make_checkpoint
from musicrnn.data import Prepared, _atomic_write_bytes, prepare, split_stream
from musicrnn.errors import CheckpointError, TrainingError
from musicrnn.evaluate import LN2, score_stream, score_tunes
from musicrnn.model import CharRNN, ModelConfig, autocast, device_label, pick_device
from musicrnn.sample import sample

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


RESUMABLE = ("max_steps", "epochs", "patience", "device", "tensorboard", "eval_every", "log_every")


@dataclass
class TrainConfig:
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
    windows: str = "random"  # "random" windows of the stream, or whole "tunes" from their start (batches.py)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def configs_from_preset(preset: str | None, model_overrides: dict | None = None,
                        train_overrides: dict | None = None) -> tuple[ModelConfig, TrainConfig]:
    """Start from a preset (or the defaults) and apply explicit settings (None values are ignored)."""
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    m, t = PRESETS.get(preset, ({}, {}))
    m = {**m, **{k: v for k, v in (model_overrides or {}).items() if v is not None}}
    t = {**t, **{k: v for k, v in (train_overrides or {}).items() if v is not None}}
    return ModelConfig(**m), TrainConfig(**t)


# ------------------------------------------------------------------------------------------- run folder


def read_json(path: Path, default=None):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def write_json(path: Path, obj) -> None:
    _atomic_write_bytes(Path(path), json.dumps(obj, indent=1).encode())


def _truncate_jsonl(path: Path, max_step: int) -> None:
    """On resume, drop events logged after the checkpoint we resume from, so curves stay consistent."""
    if not path.exists():
        return
    keep = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line).get("step", 0) <= max_step:
                keep.append(line)
        except ValueError:
            continue  # a line cut by a crash
    _atomic_write_bytes(path, ("\n".join(keep) + "\n" if keep else "").encode())


class RunLog:
    """Appends events to the run folder and hands them to the callback; rank 0 only."""

    def __init__(self, folder: Path, callback: Callable[[dict], None] | None, tensorboard: bool):
        self.folder = folder
        self.callback = callback
        self.status: dict = read_json(folder / "run.json", {}) or {}
        self._last_beat = 0.0
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise TrainingError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
            self.tb = SummaryWriter(str(folder / "tensorboard"))

    def event(self, ev: dict, file: str = "metrics.jsonl") -> None:
        ev = {"time": time.time(), **ev}
        with open(self.folder / file, "a") as f:
            f.write(json.dumps(ev) + "\n")
        if self.tb is not None:
            for k, v in ev.items():
                if isinstance(v, (int, float)) and k not in ("step", "time", "kind"):
                    self.tb.add_scalar(f"{ev.get('kind', 'x')}/{k}", v, ev.get("step", 0))
        if self.callback is not None:
            self.callback(ev)

    def update(self, force: bool = True, **fields_) -> None:
        self.status.update(fields_, updated=time.time())
        now = time.monotonic()
        if force or now - self._last_beat > 2.0:
            write_json(self.folder / "run.json", self.status)
            self._last_beat = now
        if "status" in fields_ and self.callback is not None:
            self.callback({"kind": "status", **{k: v for k, v in self.status.items() if k != "config"}})

    def close(self):
        if self.tb is not None:
            self.tb.close()


# ---------------------------------------------------------------------------------------------- helpers


def lr_factor(step: int, cfg: TrainConfig, total_steps: int) -> float:
    """Linear warm-up, then cosine decay to `min_lr_ratio` (or flat for the plateau/constant schedules)."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.schedule != "cosine":
        return 1.0
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the targets that are not padding (0 when all are)."""
    total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE,
                            reduction="sum")
    return total / (targets != IGNORE).sum().clamp(min=1)


def _detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def _rng_state(gen: torch.Generator) -> dict:
    st = {"torch": torch.get_rng_state(), "data": gen.get_state(), "python": json.dumps(random.getstate())}
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def _set_rng_state(st: dict, gen: torch.Generator) -> None:
    torch.set_rng_state(st["torch"])
    gen.set_state(st["data"])
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])
    if "python" in st:
        v, internal, g = json.loads(st["python"])
        random.setstate((v, tuple(internal), g))


def _ddp_setup(cfg: TrainConfig) -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, pick_device(cfg.device)
    want_cuda = torch.cuda.is_available() and cfg.device in ("auto", "cuda")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if want_cuda else "gloo")
    rank, local = dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0"))
    if want_cuda:
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def _mean_across(values: list[float], world: int, device) -> list[float]:
    if world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return (t / world).tolist()


def _any_across(flag: bool, world: int, device) -> bool:
    if world == 1:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


# ----------------------------------------------------------------------------------------------- train


def _init_checkpoint(path: str, vocab) -> dict:
    """The checkpoint a run starts from (`--init`); its vocabulary must be the data's."""
    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as e:
        raise TrainingError(f"cannot start from {path}: {e}") from None
    if ckpt["vocab"] != vocab.tokens:
        missing = sorted(set(vocab.tokens) - set(ckpt["vocab"]))
        raise TrainingError(f"cannot start from {ckpt['path']}: its vocabulary differs from the data's"
                            + (f" (the data has characters it does not know: {''.join(missing)!r})" if missing
                               else " (same characters in another order, or fewer)"))
    return ckpt


def train(model_cfg: ModelConfig, cfg: TrainConfig, *, callback: Callable[[dict], None] | None = None,
          stop_event=None, resume: bool = False, resume_overrides: dict | None = None,
          prepared: Prepared | None = None) -> dict:
    """Train a model into `cfg.out`; returns a summary dict. Works on one device or under torchrun (DDP).

    `callback(event)` receives every metric event (rank 0). `stop_event.is_set()` (or a file named `STOP` in
    the run folder) ends the run cleanly after the current step, with `last.pt` saved for resuming.
    With `resume`, the run continues from `last.pt` with its own settings, except `resume_overrides`
    (keys in RESUMABLE).
    """
    rank, world, device = _ddp_setup(cfg)
    out = Path(cfg.out)
    is_main = rank == 0
    if is_main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "STOP").unlink(missing_ok=True)
    resume_ckpt = None
    if resume:
        if not (out / "last.pt").exists():
            raise TrainingError(f"{out}: nothing to resume (no last.pt)")
        try:
            resume_ckpt = load_checkpoint(out / "last.pt")
        except CheckpointError as e:
            raise TrainingError(f"cannot resume: {e}") from None
        # The run's own settings win, except those the caller extends (more steps or epochs, patience...).
        saved = TrainConfig.from_dict(resume_ckpt["train_config"])
        saved.out = cfg.out
        for k, v in (resume_overrides or {}).items():
            if k not in RESUMABLE:
                raise TrainingError(f"cannot change {k} when resuming; start a new run instead")
            setattr(saved, k, v)
        cfg = saved
        model_cfg = ModelConfig.from_dict(resume_ckpt["model_config"])

    torch.manual_seed(cfg.seed + rank)
    random.seed(cfg.seed + rank)
    if world > 1 and not is_main:
        dist.barrier()  # rank 0 prepares (and caches) the data first; the others then read the cache
    data = prepared or prepare(cfg.data, val_fraction=cfg.val_fraction)
    if world > 1 and is_main:
        dist.barrier()
    vocab = data.vocab
    if resume_ckpt is not None and resume_ckpt["vocab"] != vocab.tokens:
        raise TrainingError(f"cannot resume: the data at {cfg.data!r} has a different vocabulary than the run")
    init_ckpt = None
    if cfg.init and resume_ckpt is None:
        init_ckpt = _init_checkpoint(cfg.init, vocab)
        model_cfg = ModelConfig.from_dict({**init_ckpt["model_config"], "dropout": model_cfg.dropout})
    model_cfg.vocab_size = len(vocab)
    if cfg.windows == "random" and len(data.train) < cfg.seq_len + 2:
        raise TrainingError(f"the training split has {len(data.train)} characters, fewer than one window "
                            f"of {cfg.seq_len + 1}; use a bigger corpus or a smaller --seq-len")
    model = CharRNN(model_cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            fused=device.type == "cuda")
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + rank)
    try:
        batches = make_batches(cfg.windows, data.train, seq_len=cfg.seq_len, batch_size=cfg.batch_size, gen=gen,
                               seed=cfg.seed, rank=rank, world=world)
    except ValueError as e:
        raise TrainingError(str(e)) from None
    steps_per_epoch = batches.steps_per_epoch
    total_steps = cfg.max_steps if cfg.max_steps else max(1, int(cfg.epochs * steps_per_epoch))
    st = {"step": 0, "best_val": float("inf"), "bad_evals": 0, "plateau_scale": 1.0, "best_step": None,
          "elapsed_s": 0.0}
    if init_ckpt is not None:
        model.load_state_dict(init_ckpt["state_dict"])
    if resume_ckpt is not None:
        model.load_state_dict(resume_ckpt["state_dict"])
        opt.load_state_dict(resume_ckpt["optimizer"])
        st.update(resume_ckpt["trainer"])
        batches.load_state_dict(st.get("batches", {}))
        if world == 1:
            _set_rng_state(resume_ckpt["rng"], gen)
        else:  # each rank's stream differs; re-seed deterministically from the step
            gen.manual_seed(cfg.seed * 1000 + rank + 7919 * st["step"])
    raw_model = model
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    log = RunLog(out, callback, cfg.tensorboard) if is_main else None
    if is_main:
        if resume_ckpt is not None:
            _truncate_jsonl(out / "metrics.jsonl", st["step"])
            _truncate_jsonl(out / "samples.jsonl", st["step"])
        else:
            for name in ("metrics.jsonl", "samples.jsonl"):
                (out / name).unlink(missing_ok=True)
        log.update(status="running", pid=os.getpid(), host=socket.gethostname(), started=time.time(),
                   device=device_label(device), world_size=world, step=st["step"], total_steps=total_steps,
                   steps_per_epoch=steps_per_epoch, config=cfg.to_dict(), model=model_cfg.to_dict(),
                   parameters=raw_model.num_parameters(), data=data.description, error=None,
                   best_val_loss=None if math.isinf(st["best_val"]) else st["best_val"])

    val_tunes = None
    if cfg.windows == "tunes":  # select by the figure this mode trains for: each tune from a fresh state
        val_tunes = data.val_tunes() or split_stream(data.train[-200_000:])[1:]
        keep = np.cumsum([len(t) for t in val_tunes]) <= cfg.eval_chars
        val_tunes = [t for t, k in zip(val_tunes, keep) if k] or val_tunes[:1]

    def checkpoint(kind: str, metrics: dict) -> dict:
        extra = {}
        if kind == "last":
            extra = {"optimizer": opt.state_dict(), "trainer": {**st, "batches": batches.state_dict()},
                     "rng": _rng_state(gen)}
        return make_checkpoint(raw_model, model_cfg, vocab, metrics=metrics, data=data.description,
                               train_config=cfg.to_dict(), **extra)

    def validate() -> dict:
        if val_tunes is not None:
            res = score_tunes(raw_model, val_tunes)
            return {"val_loss": res["loss"], "val_bpc": res["bpc"], "val_accuracy": res["accuracy"]}
        res = score_stream(raw_model, data.val if len(data.val) > 2 else data.train[-200_000:],
                           max_chars=cfg.eval_chars)
        return {"val_loss": res["loss"], "val_bpc": res["bpc"], "val_accuracy": res["accuracy"]}

    status, error, last_val = "finished", None, {}
    acc_loss, acc_correct, acc_count, t_window = 0.0, 0, 0, time.perf_counter()
    run_start = time.perf_counter() - st["elapsed_s"]
    step_times: list[float] = []
    state = None
    try:
        model.train()
        while st["step"] < total_steps:
            step = st["step"]
            for g in opt.param_groups:
                g["lr"] = cfg.lr * lr_factor(step, cfg, total_steps) * st["plateau_scale"]
            b = batches.next()
            x, y = b.x.to(device, non_blocking=True), b.y.to(device, non_blocking=True)
            state = None if b.fresh else _detach(state)
            t0 = time.perf_counter()
            with autocast(device):
                logits, state = model(x, state)
                loss = loss_fn(logits.float(), y)
            if not torch.isfinite(loss).item():
                raise TrainingError(f"loss became {loss.item()} at step {step}; training stopped. best.pt is "
                                    f"unchanged; try a lower --lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            st["step"] = step = step + 1
            n = (y != IGNORE).sum().item()
            acc_loss += loss.item() * n
            acc_correct += (logits.detach().argmax(-1) == y).sum().item()  # IGNORE never equals an id
            acc_count += n
            step_times.append(time.perf_counter() - t0)

            stop_now = False
            if step % cfg.log_every == 0 or step == total_steps:
                elapsed = time.perf_counter() - t_window
                acc_count = max(acc_count, 1)
                loss_avg, acc_avg = _mean_across([acc_loss / acc_count, acc_correct / acc_count], world, device)
                stop_now = _any_across(bool(stop_event is not None and stop_event.is_set())
                                       or (out / "STOP").exists(), world, device)
                if is_main:
                    recent = sum(step_times[-50:]) / len(step_times[-50:])
                    ev = {"kind": "train", "step": step, "epoch": step / steps_per_epoch, "train_loss": loss_avg,
                          "bpc": loss_avg / LN2, "accuracy": acc_avg, "lr": opt.param_groups[0]["lr"],
                          "chars_per_s": acc_count * world / elapsed, "eta_s": recent * (total_steps - step),
                          "total_steps": total_steps}
                    log.event(ev)
                    log.update(force=False, step=step)
                acc_loss, acc_correct, acc_count, t_window = 0.0, 0, 0, time.perf_counter()
            if step % cfg.eval_every == 0 or step == total_steps or stop_now:
                st["elapsed_s"] = time.perf_counter() - run_start
                stop_early = False
                if is_main:
                    last_val = validate()
                    improved = last_val["val_loss"] < st["best_val"] - 1e-4
                    if improved:
                        st.update(best_val=last_val["val_loss"], bad_evals=0, best_step=step)
                    else:
                        st["bad_evals"] += 1
                        if cfg.schedule == "plateau":
                            st["plateau_scale"] *= 0.5
                    metrics = {"step": step, "epoch": step / steps_per_epoch, **last_val,
                               "train_loss": loss.item(), "elapsed_s": st["elapsed_s"]}
                    log.event({"kind": "val", "step": step, "epoch": step / steps_per_epoch, **last_val,
                               "best_val_loss": st["best_val"]})
                    if improved:
                        atomic_save(checkpoint("best", metrics), out / "best.pt")
                    atomic_save(checkpoint("last", metrics), out / "last.pt")
                    s = sample(raw_model, vocab, 1, prime="X:1\n", seed=cfg.seed, max_chars=cfg.sample_chars)[0]
                    log.event({"kind": "sample", "step": step, "abc": s.text, "ended": s.ended, "seed": cfg.seed,
                               "temperature": 1.0}, file="samples.jsonl")
                    log.update(step=step, best_val_loss=st["best_val"], best_step=st["best_step"])
                    stop_early = cfg.patience > 0 and st["bad_evals"] >= cfg.patience
                if _any_across(stop_early, world, device):
                    status = "early_stopped"
                    break
            if stop_now:
                status = "stopped"
                break
    except TrainingError as e:
        status, error = "failed", str(e)
        raise
    except KeyboardInterrupt:
        status, error = "stopped", "interrupted from the keyboard"
        raise
    except Exception as e:  # noqa: BLE001 - recorded in run.json for viewers, then re-raised
        status, error = "failed", f"{type(e).__name__}: {e}"
        raise
    finally:
        if is_main:
            log.update(status=status, error=error, step=st["step"], finished=time.time(),
                       best_val_loss=None if math.isinf(st["best_val"]) else st["best_val"])
            log.close()
        if world > 1 and dist.is_initialized():
            if status != "failed":
                dist.barrier()  # leave together: a rank tearing down gloo while a peer still talks can abort
            dist.destroy_process_group()
    return {"status": status, "step": st["step"], "total_steps": total_steps, "best_val_loss": st["best_val"],
            "best_val_bpc": st["best_val"] / LN2, "best_step": st["best_step"], **last_val,
            "elapsed_s": time.perf_counter() - run_start, "out": str(out)}
