"""The training loop: windows (or whole tunes) from the encoded stream, AdamW, clipping, warm-up + cosine (or
plateau) schedule, early stopping, bf16 autocast on CUDA, atomic `best.pt`/`last.pt`, exact resume, and DDP
under torchrun. Everything it writes goes to the run folder (`run_folder.py`), which any viewer can follow.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from musicrnn.data.batches import IGNORE, make_batches
from musicrnn.data.cadences import cadence_weights
from musicrnn.data.context import ContextReader
from musicrnn.data.note_noise import add_note_noise, note_ids
from musicrnn.data.stream import Prepared, prepare, split_stream
from musicrnn.errors import CheckpointError, MusicRNNError, TrainingError
from musicrnn.files import remove_partial_writes
from musicrnn.generation.sampler import sample
from musicrnn.generation.scoring import LN2, score_stream, score_tunes
from musicrnn.inspection.surprise import read_tune
from musicrnn.model.checkpoint import atomic_save, load_checkpoint, make_checkpoint
from musicrnn.model.device import autocast, device_label
from musicrnn.model.network import CONTEXT_WEIGHTS, CharRNN, ModelConfig
from musicrnn.training import distributed
from musicrnn.training.config import RESUMABLE, TrainConfig, eval_interval, lr_factor
from musicrnn.training.fine_tune import fine_tune_description, inheritance, init_checkpoint, start_windows
from musicrnn.training.run_folder import (
    BEST_FILE,
    LAST_FILE,
    METRICS,
    RUN_FILES,
    SAMPLES,
    STOP_FILE,
    SURPRISE,
    RunLog,
    truncate_jsonl,
)

#: The surprise strip's tune is at most this long, where the validation split has one that short.
STRIP_CHARS = 400


def loss_fn(logits: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy over the targets that are not padding (0 when all are); with `weight` (one per
    target), the weighted mean."""
    if weight is None:
        total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE,
                                reduction="sum")
        return total / (targets != IGNORE).sum().clamp(min=1)
    each = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE,
                           reduction="none")
    weight = weight.reshape(-1) * (targets.reshape(-1) != IGNORE)
    return (each * weight).sum() / weight.sum().clamp(min=1e-8)


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



def strip_tune(data: Prepared, max_chars: int = STRIP_CHARS) -> str | None:
    """The validation tune whose surprise the run records at each validation: the first of at most `max_chars`
    characters, else the shortest (from the end of the training stream, as validation reads it, when the data has
    no validation split); None when there is no tune at all."""
    tunes = [t for t in data.val_tunes() or split_stream(data.train[-200_000:])[1:] if len(t) > 1]
    if not tunes:
        return None
    pick = next((t for t in tunes if len(t) - 1 <= max_chars), min(tunes, key=len))  # each ends with <eos>
    return data.vocab.decode(pick)


def train(model_cfg: ModelConfig, cfg: TrainConfig, *, callback: Callable[[dict], None] | None = None,
          stop_event=None, resume: bool = False, resume_overrides: dict | None = None,
          prepared: Prepared | None = None) -> dict:
    """Train a model into `cfg.out`; returns a summary dict. Works on one device or under torchrun (DDP).

    `callback(event)` receives every metric event (rank 0). `stop_event.is_set()` (or a file named `STOP` in
    the run folder) ends the run cleanly after the current step, with `last.pt` saved for resuming.
    With `resume`, the run continues from `last.pt` with its own settings, except `resume_overrides`
    (keys in RESUMABLE).
    """
    rank, world, device = distributed.setup(cfg.device)
    out = Path(cfg.out)
    is_main = rank == 0
    if is_main:
        out.mkdir(parents=True, exist_ok=True)
        (out / STOP_FILE).unlink(missing_ok=True)
        remove_partial_writes(out, RUN_FILES)
    resume_ckpt = None
    if resume:
        if not (out / LAST_FILE).exists():
            raise TrainingError(f"{out}: nothing to resume (no last.pt)")
        try:
            resume_ckpt = load_checkpoint(out / LAST_FILE)
        except CheckpointError as e:
            raise TrainingError(f"cannot resume: {e}") from None
        if not all(isinstance(resume_ckpt.get(k), dict) for k in ("train_config", "trainer", "optimizer", "rng")):
            raise TrainingError(f"cannot resume: {out / LAST_FILE} lacks the optimizer, schedule or random state "
                                "a resumable checkpoint holds")
        # The run's own settings win, except those the caller extends (more steps or epochs, patience...).
        try:
            saved = TrainConfig.from_dict(resume_ckpt["train_config"])
        except MusicRNNError as e:
            raise TrainingError(f"cannot resume: {out / LAST_FILE}: {e}") from None
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
    data = prepared or prepare(cfg.data, val_fraction=cfg.val_fraction, augment_keys=cfg.augment_keys)
    if world > 1 and is_main:
        dist.barrier()
    if resume_ckpt is not None:
        if not set(data.vocab.tokens) <= set(resume_ckpt["vocab"]):
            raise TrainingError(f"cannot resume: the data at {cfg.data!r} has characters the run's model does "
                                "not know")
        data = data.recoded(resume_ckpt["vocab"])
    init_ckpt = None
    if cfg.init and resume_ckpt is None:
        init_ckpt = init_checkpoint(cfg.init, data.vocab)
        data = data.recoded(init_ckpt["vocab"])  # a fine-tune keeps every character the model knows
        init_cfg = init_ckpt["model_config"]
        model_cfg = ModelConfig.from_dict({**init_cfg, "dropout": model_cfg.dropout,
                                           **{k: getattr(model_cfg, k) or init_cfg.get(k, False)
                                              for k in ("key_context", "bar_context")}})
    if cfg.windows is None:
        cfg = dataclasses.replace(cfg, windows=start_windows(init_ckpt))
    # a fine-tune knows the tune types of the model it started from, and keeps its fitted endings
    start, inherited = inheritance(cfg.init, init_ckpt, resume_ckpt)
    description = fine_tune_description(data.description, start)
    vocab = data.vocab
    model_cfg.vocab_size = len(vocab)
    if cfg.windows == "random" and len(data.train) < cfg.seq_len + 2:
        raise TrainingError(f"the training split has {len(data.train)} characters, fewer than one window "
                            f"of {cfg.seq_len + 1}; use a bigger corpus or a smaller --seq-len")
    model = CharRNN(model_cfg, vocab.tokens).to(device)
    reader = model.context_reader
    train_context = reader.stream(data.train) if reader is not None else None
    notes = note_ids(vocab.tokens)
    train_weight = None
    if cfg.cadence_weight != 1:
        train_weight = cadence_weights(ContextReader(vocab.tokens).text(data.train), cfg.cadence_weight,
                                       cfg.cadence_bars)
    named = dict(model.named_parameters())
    if cfg.train_only == "head":
        for k, p in named.items():
            p.requires_grad_(k.startswith("head."))
        named = {k: p for k, p in named.items() if p.requires_grad}
    groups = [{"params": [p for k, p in named.items() if k not in CONTEXT_WEIGHTS], "lr_scale": 1.0}]
    if CONTEXT_WEIGHTS & set(named):
        groups.append({"params": [p for k, p in named.items() if k in CONTEXT_WEIGHTS],
                       "lr_scale": cfg.context_lr_scale})
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=device.type == "cuda")
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + rank)
    try:
        batches = make_batches(cfg.windows, data.train, seq_len=cfg.seq_len, batch_size=cfg.batch_size, gen=gen,
                               seed=cfg.seed, rank=rank, world=world, context=train_context,
                               weight=train_weight)
    except ValueError as e:
        raise TrainingError(str(e)) from None
    steps_per_epoch = batches.steps_per_epoch
    total_steps = cfg.max_steps if cfg.max_steps else max(1, int(cfg.epochs * steps_per_epoch))
    every = eval_interval(cfg, total_steps)
    st = {"step": 0, "best_val": float("inf"), "bad_evals": 0, "plateau_scale": 1.0, "best_step": None,
          "elapsed_s": 0.0}
    if init_ckpt is not None:
        missing, _ = model.load_state_dict(init_ckpt["state_dict"], strict=False)
        if set(missing) - CONTEXT_WEIGHTS or set(init_ckpt["state_dict"]) - set(model.state_dict()):
            model.load_state_dict(init_ckpt["state_dict"])  # raises, naming what does not match
    if resume_ckpt is not None:
        model.load_state_dict(resume_ckpt["state_dict"])
        try:
            opt.load_state_dict(resume_ckpt["optimizer"])
            st.update(resume_ckpt["trainer"])
            batches.load_state_dict(st.get("batches", {}))
            if world == 1:
                _set_rng_state(resume_ckpt["rng"], gen)
            else:  # each rank's stream differs; re-seed deterministically from the step
                gen.manual_seed(cfg.seed * 1000 + rank + 7919 * int(st["step"]))
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise TrainingError(f"cannot resume: the state saved in {out / LAST_FILE} is damaged "
                                f"({type(e).__name__}: {str(e)[:120]})") from None
    raw_model = model
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)

    log = RunLog(out, callback, cfg.tensorboard) if is_main else None
    if is_main:
        if resume_ckpt is not None:
            truncate_jsonl(out / METRICS, st["step"])
            truncate_jsonl(out / SAMPLES, st["step"])
            truncate_jsonl(out / SURPRISE, st["step"])
        else:
            for name in (METRICS, SAMPLES, SURPRISE):
                (out / name).unlink(missing_ok=True)
        log.update(status="running", pid=os.getpid(), host=socket.gethostname(), started=time.time(),
                   device=device_label(device), world_size=world, step=st["step"], total_steps=total_steps,
                   steps_per_epoch=steps_per_epoch, config=cfg.to_dict(), model=model_cfg.to_dict(),
                   parameters=raw_model.num_parameters(), data=description, error=None,
                   best_val_loss=None if math.isinf(st["best_val"]) else st["best_val"])

    val_tunes = None
    if cfg.windows == "tunes":  # select by the figure this mode trains for: each tune from a fresh state
        val_tunes = data.val_tunes() or split_stream(data.train[-200_000:])[1:]
        keep = np.cumsum([len(t) for t in val_tunes]) <= cfg.eval_chars
        val_tunes = [t for t, k in zip(val_tunes, keep) if k] or val_tunes[:1]

    strip = strip_tune(data) if is_main else None  # the one tune whose surprise a class watches change

    def checkpoint(kind: str, metrics: dict) -> dict:
        extra = {}
        if kind == "last":
            extra = {"optimizer": opt.state_dict(), "trainer": {**st, "batches": batches.state_dict()},
                     "rng": _rng_state(gen)}
        return make_checkpoint(raw_model, model_cfg, vocab, metrics=metrics, data=description,
                               train_config=cfg.to_dict(), **inherited, **extra)

    def validate() -> dict:
        if val_tunes is not None:
            res = score_tunes(raw_model, val_tunes)
            return {"val_loss": res["loss"], "val_bpc": res["bpc"], "val_accuracy": res["accuracy"]}
        res = score_stream(raw_model, data.val if len(data.val) > 2 else data.train[-200_000:],
                           max_chars=cfg.eval_chars)
        return {"val_loss": res["loss"], "val_bpc": res["bpc"], "val_accuracy": res["accuracy"]}

    def validation_point(step: int, train_loss: float | None) -> bool:
        """Validate, keep the checkpoints, log a sample and the surprise strip; True to stop early."""
        nonlocal last_val
        st["elapsed_s"] = time.perf_counter() - run_start
        last_val = validate()
        improved = last_val["val_loss"] < st["best_val"] - 1e-4
        if improved:
            st.update(best_val=last_val["val_loss"], bad_evals=0, best_step=step)
        else:
            st["bad_evals"] += 1
            if cfg.schedule == "plateau":
                st["plateau_scale"] *= 0.5
        metrics = {"step": step, "epoch": step / steps_per_epoch, **last_val, "elapsed_s": st["elapsed_s"]}
        if train_loss is not None:
            metrics["train_loss"] = train_loss
        log.event({"kind": "val", "step": step, "epoch": step / steps_per_epoch, **last_val,
                   "best_val_loss": st["best_val"]})
        if improved:
            atomic_save(checkpoint("best", metrics), out / BEST_FILE)
        atomic_save(checkpoint("last", metrics), out / LAST_FILE)
        s = sample(raw_model, vocab, 1, prime="X:1\n", seed=cfg.seed, max_chars=cfg.sample_chars)[0]
        log.event({"kind": "sample", "step": step, "abc": s.text, "ended": s.ended, "seed": cfg.seed,
                   "temperature": 1.0}, file=SAMPLES)
        if strip:  # one forward pass of a short tune: less than sampling the tune above costs
            bits = read_tune(raw_model, vocab, strip, distributions=False).bits
            log.event({"kind": "surprise", "step": step, "text": strip,
                       "bits": [round(b, 3) for b in bits.tolist()]}, file=SURPRISE)
        log.update(step=step, best_val_loss=st["best_val"], best_step=st["best_step"])
        return cfg.patience > 0 and st["bad_evals"] >= cfg.patience

    status, error, last_val = "finished", None, {}
    acc_loss, acc_correct, acc_count, t_window = 0.0, 0, 0, time.perf_counter()
    run_start = time.perf_counter() - st["elapsed_s"]
    step_times: list[float] = []
    state = None
    try:
        if init_ckpt is not None and st["step"] == 0 and is_main:
            # the model it starts from is the first best.pt: a fine-tune that only overfits leaves it as it was
            validation_point(0, None)
        model.train()
        while st["step"] < total_steps:
            step = st["step"]
            for g in opt.param_groups:
                g["lr"] = cfg.lr * g["lr_scale"] * lr_factor(step, cfg, total_steps) * st["plateau_scale"]
            b = batches.next()
            x = add_note_noise(b.x, notes, cfg.note_noise, gen)  # b.x itself, no draw, when the share is 0
            x, y = x.to(device, non_blocking=True), b.y.to(device, non_blocking=True)
            context = None if b.context is None else b.context.to(device, non_blocking=True)
            weight = None if b.weight is None else b.weight.to(device, non_blocking=True)
            state = None if b.fresh else _detach(state)
            t0 = time.perf_counter()
            with autocast(device):
                logits, state = model(x, state, context)
                loss = loss_fn(logits.float(), y, weight)
            if not torch.isfinite(loss).item():
                raise TrainingError(f"loss became {loss.item()} at step {step}; training stopped. best.pt is "
                                    f"unchanged; try a lower --lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            st["step"] = step = step + 1
            n = (y != IGNORE).sum().item()
            if weight is not None:  # the logs show the plain loss, comparable across runs and with validation
                with torch.no_grad():
                    loss = loss_fn(logits.detach().float(), y)
            acc_loss += loss.item() * n
            acc_correct += (logits.detach().argmax(-1) == y).sum().item()  # IGNORE never equals an id
            acc_count += n
            step_times.append(time.perf_counter() - t0)

            stop_now = False
            if step % cfg.log_every == 0 or step == total_steps:
                elapsed = time.perf_counter() - t_window
                acc_count = max(acc_count, 1)
                loss_avg, acc_avg = distributed.mean_across([acc_loss / acc_count, acc_correct / acc_count], world,
                                                            device)
                stop_now = distributed.any_across(bool(stop_event is not None and stop_event.is_set())
                                       or (out / STOP_FILE).exists(), world, device)
                if is_main:
                    recent = sum(step_times[-50:]) / len(step_times[-50:])
                    ev = {"kind": "train", "step": step, "epoch": step / steps_per_epoch, "train_loss": loss_avg,
                          "bpc": loss_avg / LN2, "accuracy": acc_avg, "lr": opt.param_groups[0]["lr"],
                          "chars_per_s": acc_count * world / elapsed, "eta_s": recent * (total_steps - step),
                          "total_steps": total_steps}
                    log.event(ev)
                    log.update(force=False, step=step)
                acc_loss, acc_correct, acc_count, t_window = 0.0, 0, 0, time.perf_counter()
            if step % every == 0 or step == total_steps or stop_now:
                stop_early = is_main and validation_point(step, loss.item())
                if distributed.any_across(stop_early, world, device):
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
