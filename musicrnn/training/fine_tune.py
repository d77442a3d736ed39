"""A run that starts from a trained model (`init`): the checkpoint it starts from, widened to the data's
characters, and what the fine-tuned model inherits from it: the tune types it knows and its fitted endings."""
from __future__ import annotations

from musicrnn.data.split import merge_type_tables
from musicrnn.errors import CheckpointError, TrainingError
from musicrnn.model.checkpoint import load_checkpoint
from musicrnn.model.network import widen_vocab


def init_checkpoint(path: str, vocab) -> dict:
    """The checkpoint a run starts from (`--init`), its vocabulary widened to every character of the data too:
    the data may hold characters the model does not know (the `j` of `R:jig`), which it then learns
    (`widen_vocab`), and may lack some it knows (a fine-tune on fewer tunes), which it keeps."""
    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as e:
        raise TrainingError(f"cannot start from {path}: {e}") from None
    tokens = [ckpt["vocab"][0]] + sorted(set(ckpt["vocab"][1:]) | set(vocab.tokens[1:]))
    if tokens != ckpt["vocab"]:
        ckpt["state_dict"] = widen_vocab(ckpt["state_dict"], ckpt["vocab"], tokens)
        ckpt["model_config"] = {**ckpt["model_config"], "vocab_size": len(tokens)}
        ckpt["vocab"] = tokens
    return ckpt


def start_windows(ckpt: dict | None) -> str:
    """How a run reads its tunes when told nothing: as the model it starts from was trained to read them (a
    model trained on whole tunes, fine-tuned on random windows, gets better at windows and worse at the whole
    tunes it samples), else random windows."""
    windows = ((ckpt or {}).get("train_config") or {}).get("windows")
    return windows if windows in ("random", "tunes") else "random"


def started_from(path: str, ckpt: dict) -> dict:
    """What a fine-tune records of the model it starts from: its file, its corpus, and the tune types it had
    learned (its own and those it inherited), which a fine-tune on untyped tunes still knows."""
    data = ckpt.get("data") if isinstance(ckpt.get("data"), dict) else {}
    return {"checkpoint": str(path), "source": data.get("source"), "train_tunes": data.get("train_tunes"),
            "tune_types": data.get("tune_types") or {}}


def inheritance(init: str | None, init_ckpt: dict | None, resume_ckpt: dict | None) -> tuple[dict | None, dict]:
    """(`started_from`, checkpoint fields) a run inherits: from the model a fine-tune starts from, its record
    and its fitted endings, each row marked `fitted_for` that model (until `calibrate` fits its own); from the
    last.pt a run resumes, what that run had inherited; (None, {}) for a new network."""
    if init_ckpt is not None:
        endings = init_ckpt.get("endings")
        fields = {"endings": {k: {**v, "fitted_for": v.get("fitted_for", init)} for k, v in endings.items()
                              if isinstance(v, dict)}} if isinstance(endings, dict) else {}
        return started_from(init, init_ckpt), fields
    if resume_ckpt is not None:
        endings = resume_ckpt.get("endings")
        return (resume_ckpt.get("data") or {}).get("started_from"), \
            ({"endings": endings} if isinstance(endings, dict) else {})
    return None, {}


def fine_tune_description(description: dict, start: dict | None) -> dict:
    """The data description of a fine-tune's checkpoints: its own data's, with the types the model it started
    from knew added in (so the studio still offers them) and `started_from`; `description` itself without a
    start."""
    if not isinstance(start, dict):
        return description
    return {**description, "tune_types": merge_type_tables(description.get("tune_types"), start.get("tune_types")),
            "started_from": start}
