"""What watching costs a training run: 20 browser sessions on the Train page, throughput with and without them.

Starts `streamlit run app.py` on a free port, starts one training run from the Train page (so the run's thread
lives in the server process, as when a teacher trains for a room), opens N tabs on the Train page (each polls
the run's live view, `api/live/<run>`, every 2 s and redraws its curves; at each validation its sample
fragment reruns), and measures the run's throughput (characters per second, from the step counter in
metrics.jsonl) in windows that alternate, round after round:

- `hidden`: every tab open but hidden (as a background tab: the live view does not poll);
- `browsers`: the tabs of a mirror of the run, served by a second app from a copy of its files, visible;
- `viewers`: the tabs of the real run visible.

Alternating within a few minutes cancels the drift of this shared machine (two windows of the same kind, ten
minutes apart, differ by up to 16 %). The browsers run on this machine too; in a classroom they run on the
students' machines. So the server (its training thread, the viewers' requests and reruns) is pinned to CPU 0
and the browsers and the mirror to the other CPUs; but the two vCPUs share a core, and busy browsers slow the
training thread by themselves (benchmarks/sibling_interference.py: 3-15 %). Hence the `browsers` windows:

- `server_cost` = 1 - viewers / browsers: what serving the viewers costs the run (the goal: at most 10 %);
- `browser_cost` = 1 - browsers / hidden: the browsers' share of the shared core;
- `cost` = 1 - viewers / hidden: both, as this one machine sees them.

Each is the median over the rounds of the per-round figure; `pooled` gives the ratio of the means too.

    python benchmarks/viewers.py                      # 20 viewers, 4 rounds of 45 s windows
    python benchmarks/viewers.py --viewers 5 --rounds 1 --seconds 20
    python benchmarks/viewers.py --out benchmarks/viewers.json   # the committed figure

Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import cpu_seconds, emit, machine

from tests.helpers.appserver import CHROMIUM, CHROMIUM_ARGS, READY, AppServerError, start_app, stop_app  # noqa: E402  (common puts the repository on sys.path)


def descendants(pids: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            children.setdefault(_ppid(d), []).append(int(d.name))
    out, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.append(pid)
            todo += children.get(pid, [])
    return out


def pin(pids: list[int], cpus: set[int]) -> None:
    """Set the CPU affinity of processes, their descendants and all their threads."""
    for pid in descendants(pids):
        try:
            tids = [int(t.name) for t in (Path("/proc") / str(pid) / "task").iterdir()]
        except OSError:
            continue
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass


def progress(folder: Path) -> tuple[float, int] | None:
    """(time, step) of the newest training event."""
    try:
        lines = (folder / "metrics.jsonl").read_text().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("kind") == "train":
            return ev["time"], ev["step"]
    return None


def window(folder: Path, seconds: float, chars_per_step: int, pids: dict[str, list[int]]) -> dict:
    cpu0 = {k: cpu_seconds(v) for k, v in pids.items()}
    a = progress(folder)
    time.sleep(seconds)
    b = progress(folder)
    cpu1 = {k: cpu_seconds(v) for k, v in pids.items()}
    print(f"window: {a} -> {b}, cpu {cpu1} - {cpu0}", file=sys.stderr, flush=True)
    steps = b[1] - a[1]
    span = b[0] - a[0]
    if steps <= 0 or span <= 0:
        status = json.loads((folder / "run.json").read_text()).get("status")
        raise SystemExit(f"the watched run made no progress in the window (status {status})")
    return {"seconds": round(span, 2), "steps": steps, "chars_per_s": round(steps * chars_per_step / span, 1),
            "cpu_s": {k: round(cpu1[k] - cpu0[k], 2) for k in pids}}


class Mirror(threading.Thread):
    """Copies a run folder's run.json and event files as they grow, so a second app shows it as live."""

    def __init__(self, src: Path, dst: Path, every_s: float = 0.5):
        super().__init__(daemon=True)
        self.src, self.dst, self.every_s = src, dst, every_s
        self.halt = threading.Event()
        self.run_mtime: int | None = None  # of the run.json last copied
        dst.mkdir(parents=True, exist_ok=True)

    def copy_once(self) -> None:
        for name in ("metrics.jsonl", "samples.jsonl"):
            src, dst = self.src / name, self.dst / name
            have = dst.stat().st_size if dst.exists() else 0
            try:
                with open(src, "rb") as f:
                    f.seek(have)
                    new = f.read()
            except OSError:
                continue
            new = new[: new.rfind(b"\n") + 1]  # whole lines only
            if new:
                with open(dst, "ab") as f:
                    f.write(new)
        try:
            mtime = (self.src / "run.json").stat().st_mtime_ns
            if mtime == self.run_mtime:
                return  # rewritten only when the run's is, or the mirror app would rebuild its view at every poll
            run = json.loads((self.src / "run.json").read_text())
            self.run_mtime = mtime
        except (OSError, ValueError):
            return
        run.update(pid=os.getpid(), status="running")  # live as long as this process is
        tmp = self.dst / "run.json.tmp"
        tmp.write_text(json.dumps(run))
        os.replace(tmp, self.dst / "run.json")

    def run(self) -> None:
        while not self.halt.wait(self.every_s):
            self.copy_once()


def open_viewers(browser, url: str, n: int, batch: int = 5) -> list:
    """Opens n tabs on the Train page, each in its own browser context (its own Streamlit session).

    A few at a time, since 20 Streamlit front ends booting at once on one CPU can starve one of them
    past any timeout; a tab whose chart has not appeared in two minutes is reloaded once.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    pages = []
    for start in range(0, n, batch):
        group = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                 for _ in range(min(batch, n - start))]
        for pg in group:
            pg.goto(url + "/train")
        for pg in group:
            try:
                pg.wait_for_selector(".js-plotly-plot", state="attached", timeout=120_000)
            except PlaywrightTimeout:
                pg.reload()
                pg.wait_for_selector(".js-plotly-plot", state="attached", timeout=180_000)
        pages += group
    return pages


def curve_points(page) -> int:
    """Points of the loss curve a tab shows; -1 when it shows none for 15 s (a redraw replaces the chart, so one
    look may fall between the old chart and the new)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    js = ("() => { const p = document.querySelector('.js-plotly-plot');"
          " return p && p.data && p.data.length ? p.data[0].x.length : 0; }")
    try:
        page.wait_for_function(js, timeout=15_000)
    except PlaywrightTimeout:
        return -1
    return page.evaluate(js)


def set_hidden(pages: list, hidden: bool) -> None:
    """Show or hide tabs as the page sees it (`document.hidden`): a hidden tab's live view does not poll."""
    for pg in pages:
        pg.evaluate("h => Object.defineProperty(document, 'hidden', {get: () => h, configurable: true})", hidden)


def close_viewers(pages: list) -> None:
    for pg in pages:
        pg.context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=45.0, help="length of each measuring window")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of hidden, browsers and viewers windows")
    ap.add_argument("--warmup", type=float, default=20.0)
    ap.add_argument("--hidden", type=int, default=256, help="hidden size of the run watched")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of the training thread")
    ap.add_argument("--data", default=None, help="training data (default: 300 of O'Neill's tunes)")
    ap.add_argument("--out", default=None, help="also write the JSON line to this file")
    ap.add_argument("--shots", default=None, help="folder for screenshots of tabs that show no curve")
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="do not pin the server to CPU 0 and the browsers to the other CPUs")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="musicrnn-viewers-"))
    data = args.data
    if data is None:
        from musicrnn.data.sources import music21_corpus_dir

        data = home / "abc"
        data.mkdir()
        for f in sorted((music21_corpus_dir() / "oneills1850").glob("*.abc"))[:6]:
            shutil.copy(f, data / f.name)
    env = {**os.environ, "MUSICRNN_RUNS": str(home / "runs"), "MUSICRNN_DATA": str(home / "data"),
           "MUSICRNN_TUNEBOOK": str(home / "tunebook.sqlite"), "MUSICRNN_TRAIN_THREADS": str(args.threads)}
    cpus = sorted(os.sched_getaffinity(0))
    pinned = args.pin and len(cpus) >= 2
    try:
        url, server = start_app(env, home / "server.log",
                                preexec_fn=(lambda: os.sched_setaffinity(0, {cpus[0]})) if pinned else None)
    except AppServerError as e:
        shutil.rmtree(home, ignore_errors=True)
        raise SystemExit(str(e)) from None
    folder = home / "runs" / "watched"
    result: dict = {"benchmark": "viewers", "viewers": args.viewers}
    mirror = mirror_server = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            # Playwright's driver and the Chromium processes under it: this process's children but the server
            browser_pid = [int(x.name) for x in Path("/proc").iterdir() if x.name.isdigit()
                           and _ppid(x) == os.getpid() and int(x.name) != server.pid]
            # the teacher: start the run from the Train page
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/train")
            page.wait_for_selector(READY, timeout=60_000)
            page.get_by_role("radio", name="tiny").click()
            _settle(page)
            page.get_by_role("combobox", name="Training data").click()
            page.get_by_role("option", name="Another folder or file…").click()
            _settle(page)
            for label, value in (("Path: an IrishMAN folder or .json, or an .abc file or folder", str(data)),
                                 ("Hidden", str(args.hidden)), ("Batch", str(args.batch)),
                                 ("Window", str(args.window)), ("Patience", "0"), ("Max steps", "10000000"),
                                 ("Run name", "watched")):
                box = page.get_by_label(label, exact=True)
                box.fill(value)
                box.press("Enter")
                _settle(page)
            page.get_by_role("button", name="Start training").click()
            _settle(page)
            page.close()  # the run goes on without any page open
            deadline = time.time() + 120
            while progress(folder) is None:
                if time.time() > deadline:
                    raise SystemExit("the run did not start; see " + str(home / "server.log"))
                time.sleep(0.5)
            time.sleep(args.warmup)
            pids = {"server": [server.pid], "browsers": browser_pid}
            if pinned:
                pin(browser_pid, set(cpus[1:]))
            mirror = Mirror(folder, home / "mirror" / "runs" / "watched")
            mirror.copy_once()
            mirror.start()
            menv = {**env, "MUSICRNN_RUNS": str(home / "mirror" / "runs"),
                    "MUSICRNN_TUNEBOOK": str(home / "mirror" / "tunebook.sqlite")}
            try:
                mirror_url, mirror_server = start_app(
                    menv, home / "mirror.log",
                    preexec_fn=(lambda: os.sched_setaffinity(0, set(cpus[1:]))) if pinned else None)
            except AppServerError as e:
                raise SystemExit(str(e)) from None
            pids["mirror"] = [mirror_server.pid]

            def open_hidden(app_url: str) -> list:
                if pinned:  # loading 20 Streamlit front ends is slow on one CPU: the browsers use all while they do
                    pin(browser_pid, set(cpus))
                opened = open_viewers(browser, app_url, args.viewers)
                set_hidden(opened, True)
                if pinned:
                    pin(browser_pid, set(cpus[1:]))
                return opened

            def measure() -> dict:
                return window(folder, args.seconds, args.batch * args.window, pids)

            none = measure()  # no tabs at all, for reference
            t0 = time.time()
            real = open_hidden(url)
            opened_s = time.time() - t0
            mirrored = open_hidden(mirror_url)
            time.sleep(15)  # the last tabs' first fetches and the mirror's first renders end before the rounds
            windows: dict[str, list[dict]] = {"hidden": [], "browsers": [], "viewers": []}
            for _ in range(args.rounds):
                for kind, tabs in (("hidden", None), ("browsers", mirrored), ("viewers", real)):
                    if tabs:
                        set_hidden(tabs, False)
                        time.sleep(3)  # the first polls of each tab fetch the whole run
                    windows[kind].append(measure())
                    if tabs:
                        set_hidden(tabs, True)
            set_hidden(real, False)
            points = [curve_points(pg) for pg in real]
            blank = [i for i, n in enumerate(points) if n < 0]
            if args.shots and blank:
                Path(args.shots).mkdir(parents=True, exist_ok=True)
                for i in blank[:3]:
                    real[i].screenshot(path=str(Path(args.shots) / f"tab{i}.png"), full_page=True)
                    (Path(args.shots) / f"tab{i}.txt").write_text(real[i].inner_text("body")[:4000])
            errors = sum(pg.locator('[data-testid="stException"]').count() > 0 for pg in real)
            close_viewers(real + mirrored)
            browser.close()
        speed = {k: [w["chars_per_s"] for w in ws] for k, ws in windows.items()}

        def cost(a: str, b: str) -> dict:
            rounds = [1 - x / y for x, y in zip(speed[a], speed[b])]
            return {"median": round(statistics.median(rounds), 4),
                    "pooled": round(1 - statistics.mean(speed[a]) / statistics.mean(speed[b]), 4),
                    "rounds": [round(r, 4) for r in rounds]}

        server_cost, browser_cost, total = (cost("viewers", "browsers"), cost("browsers", "hidden"),
                                            cost("viewers", "hidden"))
        info = json.loads((folder / "run.json").read_text())
        result.update({
            "server_cost": server_cost["median"], "goal": 0.10, "met": server_cost["median"] <= 0.10,
            "browser_cost": browser_cost["median"], "cost": total["median"],
            "costs": {"server": server_cost, "browsers": browser_cost, "total": total},
            "chars_per_s": {"no_tabs": none["chars_per_s"],
                            **{k: round(statistics.mean(v), 1) for k, v in speed.items()}},
            "cpu_s_per_window": {k: {p: round(statistics.mean(w["cpu_s"][p] for w in ws), 2) for p in pids}
                                 for k, ws in windows.items()},
            "seconds": args.seconds, "rounds": args.rounds, "windows": {"no_tabs": none, **windows},
            "viewers_opened_in_s": round(opened_s, 1), "viewer_curve_points": [min(points), max(points)],
            "tabs_without_curve": len(blank), "viewer_pages_with_errors": errors,
            "run": {"model": info.get("model"), "batch_size": args.batch, "seq_len": args.window,
                    "threads": args.threads, "device": info.get("device")},
            "pinned": {"server": cpus[:1], "browsers": cpus[1:]} if pinned else None,
            "machine": machine(), "load_average_at_end": os.getloadavg(),
        })
    finally:
        if mirror is not None:
            mirror.halt.set()
        if mirror_server is not None:
            stop_app(mirror_server)
        try:
            (folder / "STOP").touch()
        except OSError:
            pass
        stop_app(server)
        shutil.rmtree(home, ignore_errors=True)
    emit(result)
    if args.out:
        Path(args.out).write_text(json.dumps(result) + "\n")


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(READY, timeout=60_000)


def _ppid(d: Path) -> int:
    try:
        return int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


if __name__ == "__main__":
    main()
