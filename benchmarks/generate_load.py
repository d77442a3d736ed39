"""A class pressing Generate at once: N tabs of the studio (default 10) click Generate within a few
milliseconds; every tab must show its score and audio, none an error. Prints the time from the first click to
the last score shown, each tab's time, and where the time goes.

Where the time goes is measured in this process with the page's own calls, N sessions at once as the server
runs them (one thread each): sampling (each session samples on one torch thread; the 2 cores are shared),
checking the candidates, and rendering the best one, where the render workers are the queue (`workers`
processes, each one tune at a time): `render_wait_s` is the time a session's tune waited for a free worker
(its render time less the work the worker timed). In the browser run, `cpu_s` splits the machine's CPU during
the burst between the app server and the browsers.

    python benchmarks/generate_load.py --tabs 10
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import cpu_seconds, emit, machine
from studio_latency import SHOWN, STUDIO, one_generate, studio_prime

from tests.helpers.appserver import READY, chromium, start_app, stop_app  # noqa: E402


def _r(x: float) -> float:
    return round(x, 3)


def _ppid(proc_dir: Path) -> int:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def browser(tabs: int, timeout_s: float = 300.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MUSICRNN_RUNS": str(Path(tmp) / "runs"),
               "MUSICRNN_TUNEBOOK": str(Path(tmp) / "tb.sqlite")}
        (Path(tmp) / "runs").mkdir()
        url, proc = start_app(env, Path(tmp) / "streamlit.log", start_new_session=True)
        try:
            with chromium() as br:
                # Playwright's driver and Chromium: this process's children other than the server
                browser_pids = [int(x.name) for x in Path("/proc").iterdir() if x.name.isdigit()
                                and _ppid(x) == os.getpid() and int(x.name) != proc.pid]
                # one warm-up Generate (model load, first render in each worker), as a class's first minute
                warm = br.new_page()
                warm.goto(url + "/")
                warm.wait_for_selector(READY, timeout=timeout_s * 1000)
                warm.get_by_role("button", name="Generate").click()
                warm.wait_for_function(SHOWN, timeout=timeout_s * 1000, polling=50)
                warm.close()
                pages = []
                for _ in range(tabs):
                    ctx = br.new_context(viewport={"width": 1200, "height": 900})  # a session each
                    page = ctx.new_page()
                    page.goto(url + "/")
                    page.wait_for_selector(READY, timeout=timeout_s * 1000)
                    page.get_by_role("button", name="Generate").wait_for(state="visible", timeout=timeout_s * 1000)
                    pages.append(page)
                cpu0 = (cpu_seconds([proc.pid]), cpu_seconds(browser_pids))
                for page in pages:  # the click is sent and the test moves on: all within a few ms
                    page.evaluate("() => [...document.querySelectorAll('[data-testid=stMain] button')]"
                                  ".find(b => b.innerText.includes('Generate')).click()")
                t0 = time.perf_counter()
                done, outcomes = [None] * tabs, [None] * tabs
                while any(d is None for d in done) and time.perf_counter() - t0 < timeout_s:
                    for i, page in enumerate(pages):
                        if done[i] is None:
                            out = page.evaluate(f"({SHOWN})()")
                            if out:
                                done[i], outcomes[i] = time.perf_counter() - t0, out
                    time.sleep(0.05)
                cpu1 = (cpu_seconds([proc.pid]), cpu_seconds(browser_pids))
        finally:
            stop_app(proc)
    errors = [o for o in outcomes if o != "ok"]
    finished = [d for d in done if d is not None]
    return {"tabs": tabs, "first_click_to_last_score_s": _r(max(finished)) if finished else None,
            "tab_s": sorted(_r(d) for d in finished), "shown": outcomes.count("ok"), "errors": errors,
            "unfinished": done.count(None),
            # CPU seconds spent during the burst: the app server (Streamlit, sampling, render workers) and the
            # browsers drawing ten pages, on the same 2 cores
            "cpu_s": {"server": _r(cpu1[0] - cpu0[0]), "browsers": _r(cpu1[1] - cpu0[1])}}


def split(tabs: int) -> dict:
    """N sessions' Generate at once, in-process: each stage's seconds (median over sessions), and the wait
    for a render worker."""
    import torch

    from musicrnn import music
    from musicrnn.model.checkpoint import load_model

    model, vocab, ckpt = load_model(None, "cpu")
    prime = studio_prime(ckpt)
    music.get_pool().warm_up()
    render_alone = []

    def session(seed: int) -> dict:
        torch.set_num_threads(1)
        g = one_generate(model, vocab, prime, seed)
        res = g["render"]
        work = sum(v for k, v in res["timings"].items() if k != "total")  # measured inside the worker
        return {"sampling": g["sampling"], "checking": g["checking"], "render": g["render_s"],
                "render_work": work, "total": g["sampling"] + g["checking"] + g["render_s"], "ok": res["ok"]}

    session(0)  # warm
    for seed in (100, 101):  # one render on an idle pool: what a tune costs a worker
        t = time.perf_counter()
        session(seed)
        render_alone.append(time.perf_counter() - t)
    results: list[dict] = []
    lock = threading.Lock()

    def run(seed):
        r = session(seed)
        with lock:
            results.append(r)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(s,)) for s in range(1, tabs + 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0

    def med(k):
        return _r(statistics.median(r[k] for r in results))

    return {"sessions": tabs, "all_done_s": _r(wall), "all_ok": all(r["ok"] for r in results),
            "workers": music.get_pool().size, "one_generate_alone_s": _r(min(render_alone)),
            "median_s": {k: med(k) for k in ("sampling", "checking", "render", "total")},
            "render_wait_s": _r(statistics.median(r["render"] - r["render_work"] for r in results))}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tabs", type=int, default=10)
    p.add_argument("--no-browser", action="store_true", help="only the in-process split")
    a = p.parse_args()
    res = {"benchmark": "generate_load", "settings": STUDIO, "machine": machine("cpu")}
    if not a.no_browser:
        res["browser"] = browser(a.tabs)
    res["split"] = split(a.tabs)
    emit(res)


if __name__ == "__main__":
    main()
