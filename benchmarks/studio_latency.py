"""Figure 4: studio latency, from clicking Generate to an interactive score ready to play, in the real browser.

Starts `streamlit run app.py` on a free port, drives Debian's Chromium through Playwright (headless), and for
each run opens a fresh page on the Studio with its default settings (reel, key D, temperature 0.9,
3 candidates, up to 600 characters, a new random seed each time), clicks Generate and waits until the
player is ready: its inline score has every note tagged with the timeline (`data-note`) and its audio has
loaded (a press of Play would start it). The first run is cold (model load,
first render) and reported apart; the figure is the median of the warm ones. After each warm run it also
types a one-note edit into the player's ABC box and times the score's redraw (`edit_redraw_median_s`; the
player re-renders in the browser, with no Streamlit rerun).

The split is measured in this process with the same library calls and settings the page makes: sampling
(on one torch thread, as the page does), checking the candidates (two render workers side by side), then for
the best one the render worker's check, MIDI and engraving (MusicXML, then verovio SVG and the player's
timeline), then the audio the player asks for once it has the score (WAV from the MIDI, then the page's
compact WAV).

    python benchmarks/studio_latency.py --runs 5                  # the shipped model (checkpoints/default)
    python benchmarks/studio_latency.py --checkpoint runs/demo --runs 2 --no-browser
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import emit, machine

from musicrnn.notation.durations import body_tokens  # noqa: E402  (common puts the repository on sys.path)
from tests.helpers.appserver import READY, chromium, start_app, stop_app  # noqa: E402

# The studio's defaults (pages/studio.py): reel, key D, temperature 0.9, 3 candidates, 600 chars. A model that
# knows tune types is asked for `R:reel` in the meter it knows for reels; one without gets M:4/4, L:1/8.
STUDIO = dict(type="reel", meter="4/4", unit="1/8", key="D", temperature=0.9, n=3, max_chars=600)


def studio_prime(ckpt: dict) -> str:
    """The prime the studio's defaults give for this model."""
    from musicrnn.generation.prime import build_prime, known_types, type_prime

    if STUDIO["type"] in known_types(ckpt.get("data")):
        return type_prime(STUDIO["type"], ckpt.get("data"), key=STUDIO["key"])
    return build_prime(STUDIO["meter"], STUDIO["unit"], STUDIO["key"], None)
# Ready to play: the player's score has its notes tagged by the timeline and its audio has loaded, in the main
# area. An error box (or exception) once the script has finished ends the wait at once, with its text.
SHOWN = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const root = main.querySelector('[data-testid="musicrnn-player"]');
  const audio = root && root.querySelector('audio');
  if (root && root.querySelector('svg [data-note]') && audio && audio.src && audio.readyState >= 1) return "ok";
  const app = document.querySelector('[data-testid="stApp"]');
  const err = main.querySelector('[data-testid="stAlertContentError"], [data-testid="stException"]');
  if (err && app && app.getAttribute("data-test-script-state") === "notRunning") return "error: " + err.innerText;
  return false;
}"""


# The player's score, in the main area: its SVG's markup, to see an edit redraw it.
SCORE = "() => { const s = document.querySelector('[data-testid=stMain] [data-testid=musicrnn-player] svg'); " \
        "return s ? s.innerHTML : ''; }"
REDRAWN = "(old) => { const s = document.querySelector('[data-testid=stMain] [data-testid=musicrnn-player] svg'); " \
          "return !!s && s.querySelector('[data-note]') !== null && s.innerHTML !== old; }"
STEP = {c: n for c, n in zip("ABCDEFGabcdefg", "BCDEFGAbcdefga")}


def one_note_changed(abc: str) -> str:
    """The tune with its first body note a step higher (same length, so the bars still add up), found by the
    project's tokenizer (chord symbols, decorations and field lines are not notes)."""
    scanned = body_tokens(abc)
    for at, m in scanned[1] if scanned else []:
        if m.lastgroup == "note" and m.group("pitch") in STEP:
            i = at + m.start("pitch") - m.start()
            return abc[:i] + STEP[abc[i]] + abc[i + 1:]
    raise ValueError("the tune has no note to change")


def settled_score(page, quiet_s: float = 1.0, timeout_s: float = 30.0) -> str:
    """The score's markup once it has not changed for `quiet_s` (the player redraws a narrow column once more
    through the route after the page's render: that redraw must not pass for the edit's)."""
    last, since, end = page.evaluate(SCORE), time.perf_counter(), time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        time.sleep(0.1)
        now = page.evaluate(SCORE)
        if now != last:
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since >= quiet_s:
            break
    return last


def edit_redraws(page, edits: int, timeout_s: float) -> list[float]:
    """Seconds from typing a one-note edit into the player's ABC box to its score redrawn, `edits` times."""
    box = page.locator('[data-testid="stMain"] [data-testid="musicrnn-player"]').get_by_label("ABC", exact=True)
    times = []
    for _ in range(edits):
        before, text = settled_score(page), one_note_changed(box.input_value())
        t0 = time.perf_counter()
        box.fill(text)
        page.wait_for_function(REDRAWN, arg=before, timeout=timeout_s * 1000, polling=10)
        times.append(time.perf_counter() - t0)
    return times


def _med(xs):
    return round(statistics.median(xs), 3) if xs else None


# ------------------------------------------------------------------------------------------ the split


def one_generate(model, vocab, prime: str, seed: int) -> dict:
    """One studio Generate with the page's own calls and settings: sample the candidates (on the calling thread),
    check them in the render workers side by side, render the best one. The render result and each stage's
    seconds (`sampling`, `checking`, `render`)."""
    from concurrent.futures import ThreadPoolExecutor

    from app_support.media import RENDER_FORMATS
    from musicrnn import music
    from musicrnn.generation.sampler import sample

    t0 = time.perf_counter()
    samples = sample(model, vocab, STUDIO["n"], prime=prime, temperature=STUDIO["temperature"], seed=seed,
                     max_chars=STUDIO["max_chars"])
    t1 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as ex:
        reports = list(ex.map(_check, [(s.text, s.ended) for s in samples]))
    t2 = time.perf_counter()
    scores = [r["score"] if isinstance(r, dict) else 0.0 for r in reports]
    best = samples[max(range(len(samples)), key=lambda i: scores[i])]
    res = music.render_all(best.text, RENDER_FORMATS, tempo=120, instrument="piano", check=True, ended=best.ended)
    return {"render": res, "samples": samples, "sampling": t1 - t0, "checking": t2 - t1,
            "render_s": time.perf_counter() - t2}


def _check(args) -> dict | str:
    from musicrnn import music
    from musicrnn.errors import MusicRNNError

    text, ended = args
    try:
        return music.check(text, ended=ended).to_dict()
    except MusicRNNError as e:
        return str(e)


def split(checkpoint=None, runs: int = 5, device="auto") -> dict:
    """Median seconds of each stage of one Generate, measured in-process with the page's own calls."""
    import threading

    import torch

    from app_support.media import compact_wav
    from musicrnn import music as isolate
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    model, vocab, ckpt = load_model(checkpoint, pick_device(device))
    prime = studio_prime(ckpt)
    isolate.get_pool().warm_up()

    stages: dict[str, list[float]] = {k: [] for k in ("sampling", "checking", "render_check", "midi", "audio",
                                                      "engraving", "total")}
    chars = []

    def one(seed: int, record: bool) -> None:
        t0 = time.perf_counter()
        g = one_generate(model, vocab, prime, seed)
        res, samples = g["render"], g["samples"]
        t3 = time.perf_counter()
        if "midi" in res["data"]:  # what the player's first request for the audio makes
            compact_wav(isolate.midi_to_wav(res["data"]["midi"]))
        t4 = time.perf_counter()
        if record:
            tm = res["timings"]
            stages["sampling"].append(g["sampling"])
            stages["checking"].append(g["checking"])
            stages["render_check"].append(tm.get("check", 0.0))
            stages["midi"].append(tm.get("midi", 0.0))
            stages["audio"].append(t4 - t3)
            stages["engraving"].append(tm.get("musicxml", 0.0) + tm.get("svg", 0.0) + tm.get("timeline", 0.0))
            stages["total"].append(t4 - t0)
            chars.append(sum(len(s.text) - len(prime) for s in samples))

    def body():
        torch.set_num_threads(1)  # the page samples on one thread (pages/studio.py)
        one(0, False)  # warm-up: first kernels, first render in each worker
        for seed in range(1, runs + 1):
            one(seed, True)

    th = threading.Thread(target=body)  # torch's thread setting is per thread: keep it off the caller's
    th.start()
    th.join()
    out = {k: _med(v) for k, v in stages.items()}
    out["chars_generated_median"] = _med(chars)
    out["model"] = ckpt["model_config"]
    out["checkpoint"] = ckpt["path"]
    return out


# ---------------------------------------------------------------------------------------- the browser


def browser(runs: int = 5, checkpoint=None, timeout_s: float = 120.0) -> dict:
    """Click-to-score-and-audio seconds in Chromium: the cold first run and the median of the warm ones."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MUSICRNN_RUNS": str(Path(tmp) / "runs"),
               "MUSICRNN_TUNEBOOK": str(Path(tmp) / "tb.sqlite")}
        (Path(tmp) / "runs").mkdir()
        if checkpoint:  # used when there is no shipped model: the app then picks the first run with a best.pt
            from musicrnn.model.checkpoint import resolve

            dest = Path(tmp) / "runs" / "bench"
            dest.mkdir()
            # A snapshot, not the folder: a run still training keeps replacing its files.
            best = resolve(checkpoint)
            shutil.copy(best, dest / "best.pt")
            if (best.parent / "run.json").exists():
                shutil.copy(best.parent / "run.json", dest / "run.json")
        times, edits = [], []
        proc = None
        try:
            t_start = time.perf_counter()
            url, proc = start_app(env, Path(tmp) / "streamlit.log", start_new_session=True)
            server_s = time.perf_counter() - t_start
            with chromium() as br:
                for _ in range(runs + 1):
                    page = br.new_page(viewport={"width": 1400, "height": 1000})
                    page.goto(url + "/", timeout=timeout_s * 1000)
                    page.wait_for_selector(READY, timeout=timeout_s * 1000)
                    button = page.get_by_role("button", name="Generate")
                    button.wait_for(state="visible", timeout=timeout_s * 1000)
                    if button.is_disabled():
                        raise RuntimeError("the studio's Generate button is disabled: the app found no model")
                    t0 = time.perf_counter()
                    button.click()
                    outcome = page.wait_for_function(SHOWN, timeout=timeout_s * 1000, polling=25).json_value()
                    times.append(time.perf_counter() - t0)
                    if outcome != "ok":
                        raise RuntimeError(f"the studio showed an error instead of score and audio: {outcome[:500]}")
                    if len(times) > 1:  # warm: one edit per run, typed into the player as a musician would
                        edits += edit_redraws(page, 1, timeout_s)
                    page.close()
        except Exception as e:
            lines = (Path(tmp) / "streamlit.log").read_text(errors="replace").splitlines()
            tail = "\n".join(l for l in lines if "ScriptRunContext" not in l)[-1500:]
            raise RuntimeError(f"{type(e).__name__}: {e}\n--- streamlit log ---\n{tail}") from None
        finally:
            if proc is not None:
                stop_app(proc)
    return {"browser_cold_s": round(times[0], 3), "browser_median_s": _med(times[1:]),
            "browser_runs_s": [round(t, 3) for t in times[1:]], "server_start_s": round(server_s, 2),
            "edit_redraw_median_s": _med(edits), "edit_redraw_runs_s": [round(t, 3) for t in edits],
            "browser": "Debian Chromium (Playwright, headless)"}


def run(runs=5, checkpoint=None, use_browser=True, device="auto") -> dict:
    from musicrnn.model.device import pick_device

    dev = str(pick_device(device))
    res = {"benchmark": "studio_latency", "settings": STUDIO, "runs": runs, "device": dev,
           "machine": machine(dev)}  # before the split, which sets torch to one thread as the page does
    if use_browser:
        try:
            res.update(browser(runs, checkpoint))
        except Exception as e:  # noqa: BLE001 - the split still stands; say why the browser figure is missing
            res["browser_error"] = str(e)[:2000]
    res["split"] = split(checkpoint, runs, dev)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="warm runs (after one cold run)")
    p.add_argument("--checkpoint", default=None, help="model for the split; the browser uses it only when no "
                                                      "shipped model exists (the app picks the shipped one first)")
    p.add_argument("--no-browser", action="store_true", help="only the in-process split")
    p.add_argument("--device", default="auto", help="the app and the split use the default device (auto)")
    a = p.parse_args()
    emit(run(a.runs, a.checkpoint, not a.no_browser, a.device))


if __name__ == "__main__":
    main()
