"""Run every benchmark figure (CPU, and CUDA when present), then write `results.jsonl` and `results.md`.

Each script runs in a fresh process (so one figure's memory and threads never colour the next) and prints one
JSON line, which is collected as is into `benchmarks/results.jsonl`; `results.md` is built from those lines.
Sizes are chosen so the whole CPU run stays under ~20 minutes on a 2-core machine.

    python benchmarks/run_all.py                      # everything, writes benchmarks/results.{jsonl,md}
    python benchmarks/run_all.py --report-only        # rebuild results.md from results.jsonl
    python benchmarks/run_all.py --quick --data DIR --checkpoint RUN --out /tmp/b   # a smoke run, tiny sizes
    python benchmarks/run_all.py --devices cuda --only train --script-timeout 120   # CUDA training figures only
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def plan(device: str, quick: bool, data: str, checkpoint: str | None, out: Path) -> list[tuple[str, list[str]]]:
    """(figure, argv) pairs for one device."""
    ck = ["--checkpoint", checkpoint] if checkpoint else []
    plot = str(out / ("scaling.png" if device == "cpu" else f"scaling_{device}.png"))
    if quick:
        return [
            ("train", ["train_compare.py", "--data", data, "--preset", "tiny", "--steps", "4", "--seed-steps", "2",
                       "--device", device]),
            ("prep", ["prep_compare.py", "--tunes", "2000"]),
            ("sampling", ["sampling.py", *ck, "--sizes", "1,4", "--chars", "30", "--repeats", "1", "--seed-tunes", "2",
                          "--device", device]),
            ("studio", ["studio_latency.py", *ck, "--runs", "1", "--device", device]),
            ("scaling", ["scaling.py", "--data", data, "--preset", "tiny", "--hidden-sizes", "16,32",
                         "--corpus-tunes", "300,600", "--steps", "2", "--seed-steps", "1", "--corpus-steps", "2",
                         "--sample-n", "2", "--sample-chars", "20", "--device", device, "--plot", plot]),
        ]
    if device == "cpu":
        return [
            ("train", ["train_compare.py", "--data", data, "--preset", "cpu", "--steps", "40", "--seed-steps", "10",
                       "--device", "cpu"]),
            ("prep", ["prep_compare.py", "--tunes", "214122", "--seed-fraction", "1.0"]),
            ("sampling", ["sampling.py", *ck, "--sizes", "1,16,64", "--chars", "300", "--repeats", "3",
                          "--seed-tunes", "8", "--device", "cpu"]),
            ("studio", ["studio_latency.py", *ck, "--runs", "5", "--device", "cpu"]),
            ("scaling", ["scaling.py", "--data", data, "--preset", "cpu", "--hidden-sizes", "256,512,1024",
                         "--corpus-tunes", "3000,13000,53000,214122", "--steps", "16", "--seed-steps", "3",
                         "--corpus-steps", "10", "--device", "cpu", "--plot", plot]),
        ]
    # CUDA: the gpu preset (bf16 against fp32, the seed on the same model), sampling, scaling. Data preparation
    # is CPU work, and the studio uses whatever device the app picks (measured once, in the CPU plan).
    return [
        ("train", ["train_compare.py", "--data", data, "--preset", "gpu", "--steps", "100", "--seed-steps", "20",
                   "--device", device, "--precision", "both"]),
        ("train", ["train_compare.py", "--data", data, "--preset", "cpu", "--steps", "100", "--seed-steps", "20",
                   "--device", device]),
        ("sampling", ["sampling.py", *ck, "--sizes", "1,16,64", "--chars", "300", "--repeats", "5",
                      "--seed-tunes", "16", "--device", device]),
        ("scaling", ["scaling.py", "--data", data, "--preset", "cpu", "--hidden-sizes", "256,512,1024",
                     "--corpus-tunes", "3000,13000,53000,214122", "--steps", "60", "--seed-steps", "10",
                     "--corpus-steps", "40", "--device", device, "--plot", plot]),
    ]


def cpu_busy(seconds: float = 1.0) -> float:
    """Fraction of all cores busy over `seconds` (from /proc/stat); 0.0 where that is unreadable."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait

    try:
        t0, i0 = snap()
        time.sleep(seconds)
        t1, i1 = snap()
    except OSError:
        return 0.0
    return round(1 - (i1 - i0) / max(1, t1 - t0), 3)


def wait_quiet(max_wait: float, threshold: float = 0.25) -> float:
    """Wait (up to max_wait s) until other work leaves the cores mostly idle; returns the last busy fraction.

    Other processes on a 2-core machine slow torch's threads far more than their share (the threads wait on
    each other), so a figure taken next to a test run means little; the busy fraction goes into each result.
    """
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(2.0)
    return busy


def run_one(figure: str, argv: list[str], max_wait: float = 0.0, env: dict | None = None,
            threshold: float = 0.25, timeout: float | None = None) -> dict:
    busy = wait_quiet(max_wait, threshold) if max_wait > 0 else cpu_busy()
    t0 = time.perf_counter()
    print(f"[run_all] {' '.join(argv)} (cores busy before: {busy:.0%})", file=sys.stderr, flush=True)
    try:
        r = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], cwd=ROOT, capture_output=True,
                           text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        tail = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return {"benchmark": figure, "figure": figure, "error": f"timed out after {timeout} s\n{tail[-2500:]}",
                "argv": argv, "script_wall_s": round(time.perf_counter() - t0, 1), "cpu_busy_before": busy}
    wall = round(time.perf_counter() - t0, 1)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode != 0 or not lines:
        return {"benchmark": figure, "figure": figure, "error": (r.stderr or r.stdout)[-3000:], "argv": argv,
                "script_wall_s": wall, "cpu_busy_before": busy}
    res = json.loads(lines[-1])
    res.update(figure=figure, argv=argv, script_wall_s=wall, cpu_busy_before=busy,
               load_avg_after=round(os.getloadavg()[0], 2))
    print(f"[run_all]   done in {wall} s", file=sys.stderr, flush=True)
    return res


# ------------------------------------------------------------------------------------------- report


def _n(x, digits=0) -> str:
    if x is None:
        return "–"
    if isinstance(x, (int, float)):
        return f"{x:,.{digits}f}"
    return str(x)


def _t(s) -> str:
    """Seconds, readable."""
    if s is None:
        return "–"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 120:
        return f"{s / 60:.1f} min"
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def _ok(flag) -> str:
    return "–" if flag is None else ("yes" if flag else "**no**")


def _by(results, name):
    return [r for r in results if r.get("benchmark") == name and "error" not in r]


def _dev(r) -> str:
    """The device a result was measured on ('cpu', 'cuda', ...), from the result, its machine or its argv."""
    d = r.get("device") or (r.get("machine") or {}).get("device")
    if not d and "--device" in r.get("argv", []):
        d = r["argv"][r["argv"].index("--device") + 1]
    return str(d or "cpu")


def _machine_line(label: str, m: dict, total_s: float | None) -> str:
    return (f"**{label}**: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, torch {m.get('torch', '?')} "
            f"({m.get('torch_threads', '?')} thread{'' if m.get('torch_threads') == 1 else 's'}), "
            f"Python {m.get('python', '?')}" + (f", GPU {m['gpu']}" if m.get("gpu") else ", no GPU") + "."
            + (f" The scripts ran {_t(total_s)} in all." if total_s else ""))


def _cuda_summary(results: list[dict]) -> list[str]:
    """The CUDA paragraph: where the CUDA figures ran and their headline numbers."""
    cuda = [r for r in results if _dev(r).startswith("cuda") and "error" not in r]
    m = next((r["machine"] for r in cuda if "machine" in r), {})
    parts = [f"**CUDA**: measured on one {m.get('gpu', 'GPU')} with torch {m.get('torch', '?')} "
             f"(a separate run on another machine than the CPU figures)."]
    for r in _by(cuda, "train_compare"):
        if "musicrnn_fp32_useful_chars_per_s" in r:
            parts.append(f"`{r['preset']}` preset ({r['embedding_dim']}/{r['hidden_size']}/{r['layers']}, batch "
                         f"{r['batch_size']} × {r['seq_len']}): musicrnn {_n(r['musicrnn_useful_chars_per_s'])} "
                         f"useful chars/s in bf16 autocast against {_n(r['musicrnn_fp32_useful_chars_per_s'])} in "
                         f"fp32 ({r['bf16_over_fp32']}×), so one IrishMAN-sized epoch (62 M characters) takes "
                         f"{_t(r['musicrnn_epoch_62M_s'])}; the seed pipeline {_n(r['seed_useful_chars_per_s'])} "
                         f"(**{r['speedup']}×** for musicrnn).")
    for r in _by(cuda, "train_compare"):
        if r.get("goal_met") is False:
            parts.append(f"The small `{r['preset']}` preset (batch {r['batch_size']}) on CUDA gives only "
                         f"{r['speedup']}× over the seed, under the 2.5× goal: at that size a step is too small to "
                         f"fill the GPU, so fixed per-step costs most likely set the rate (musicrnn's chars/s hardly "
                         f"changes from hidden 256 to 1024 in the CUDA scaling table), and the seed's 600-wide padded "
                         f"rows hand the GPU more work per step.")
    for r in _by(cuda, "sampling"):
        by_n = {x["n"]: x for x in r["rows"]}
        if 16 in by_n:
            x = by_n[16]
            tail = (f", 64 tunes {_n(by_n[64]['musicrnn_tunes_per_s'], 1)} tunes/s ({by_n[64]['speedup']}×)"
                    if 64 in by_n else "")
            mc = r["model"]
            parts.append(f"Sampling 16 tunes of {r['chars']} characters with the shipped model ({mc['cell']} "
                         f"{mc['embedding_dim']}/{mc['hidden_size']}/{mc['layers']}): "
                         f"{_n(x['musicrnn_tunes_per_s'], 1)} tunes/s against the seed's "
                         f"{_n(x['seed_tunes_per_s'], 2)} ({x['speedup']}×){tail}.")
    return [" ".join(parts), ""]


def report(results: list[dict], total_s: float | None = None) -> str:
    errors = [r for r in results if "error" in r]
    cuda_ran = any(_dev(r).startswith("cuda") for r in results if "error" not in r)
    cpu_res = [r for r in results if not _dev(r).startswith("cuda")]
    gpu_res = [r for r in results if _dev(r).startswith("cuda")]
    m = next((r["machine"] for r in (cpu_res or results) if "machine" in r), {})
    out = ["# musicrnn benchmarks", "",
           "Produced by `python benchmarks/run_all.py` (raw lines: [`results.jsonl`](results.jsonl)). Each figure is "
           "one script printing one JSON line; every comparison was measured in one run, same model, batch and "
           "machine. The seed pipeline is `benchmarks/seed_pipeline.py`, rebuilt from the seed report's "
           "description (pad to 600 with spaces, LongTensor rows, shuffled DataLoader, loss over every position, "
           "`generate_music` one character per call with `.item()`), on musicrnn's own `CharRNN`.", ""]
    if cpu_res and gpu_res:  # two runs on two machines: describe each
        mg = next((r["machine"] for r in gpu_res if "machine" in r), {})
        out += [_machine_line("Machine, CPU figures", m, sum(r.get("script_wall_s", 0) for r in cpu_res)), "",
                _machine_line("Machine, CUDA figures", mg, sum(r.get("script_wall_s", 0) for r in gpu_res)), ""]
    else:
        out += [_machine_line("Machine", m, total_s), ""]
    threads, cores = m.get("torch_threads"), m.get("cores")
    if threads and cores and threads < cores:
        out += [f"{'The CPU figures were m' if cpu_res and gpu_res else 'M'}easured on {threads} "
                f"torch thread{'s' if threads > 1 else ''} of {cores} cores "
                f"(`run_all.py --threads {threads}`); both sides of every comparison ran on the same threads.", ""]
    two = bool(cpu_res and gpu_res)
    busy = [f"{r['benchmark']}{f' ({_dev(r)})' if two else ''} {r['cpu_busy_before']:.0%}"
            for r in results if "cpu_busy_before" in r]
    if busy:
        out += ["Cores busy with other work just before each figure: " + ", ".join(busy) + "."]
        if any(r.get("cpu_busy_before", 0) > 0.5 for r in results):
            out += [f"Other work shared the {'CPU ' if two else ''}machine during these figures, so absolute rates "
                    "are below what an idle machine gives; each comparison's two sides ran back to back under the "
                    "same load, so the ratios hold up better than the rates."]
        out += [""]
    if cuda_ran:
        out += _cuda_summary(results)
    else:
        out += ["**CUDA**: no GPU on this machine, so the CUDA figures (bf16 against fp32, the `gpu` preset's chars/s, "
                "the 62 M-character epoch, CUDA sampling and scaling) were not measured. The code paths are there: "
                "`run_all.py` runs them when `torch.cuda.is_available()`, or by hand "
                "`python benchmarks/train_compare.py --preset gpu --device cuda --precision both`.", ""]

    rows = _by(results, "train_compare")
    if rows:
        out += ["## 1. Training throughput (useful characters per second)", "",
                "Useful = real target characters; the seed's padding positions are trained but not counted. "
                "Goal: musicrnn ≥ 2.5× the seed on the embedded corpus.", "",
                "| device | model (emb/hidden/layers) | batch | musicrnn window | musicrnn chars/s | seed chars/s "
                "(padding) | speedup | goal ≥ 2.5× | 62 M-char epoch (musicrnn) |",
                "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            out.append(f"| {r['device']} ({r['precision']}) | {r['preset']}: {r['embedding_dim']}/{r['hidden_size']}/"
                       f"{r['layers']} | {r['batch_size']} | {r['seq_len']} | {_n(r['musicrnn_useful_chars_per_s'])} | "
                       f"{_n(r['seed_useful_chars_per_s'])} ({r['seed_padding_fraction']:.0%}) | "
                       f"**{r['speedup']}×** | {_ok(r['goal_met'])} | {_t(r['musicrnn_epoch_62M_s'])} |")
        for r in rows:
            if "musicrnn_fp32_useful_chars_per_s" in r:
                out.append("")
                out.append(f"On {r['device']}, `{r['preset']}` preset: bf16 autocast "
                           f"{_n(r['musicrnn_useful_chars_per_s'])} "
                           f"chars/s, fp32 {_n(r['musicrnn_fp32_useful_chars_per_s'])} chars/s "
                           f"(bf16 = {r['bf16_over_fp32']}× fp32); one IrishMAN epoch (62 M characters) "
                           f"{_t(r['musicrnn_epoch_62M_s'])}.")
        steps = {}
        for r in rows:
            steps.setdefault((r["musicrnn_steps_measured"], r["seed_steps_measured"], r["seed_max_length"]),
                             []).append(f"{r['device']} `{r['preset']}`")
        out.append("")
        for (ours, seed, width), where in steps.items():
            out.append(f"Steps{' (' + ', '.join(where) + ')' if len(steps) > 1 else ''}: musicrnn {ours} measured "
                       f"after as many warm-up steps; seed {seed} measured after 2 warm-up steps (rows of {width}).")
        out.append("")

    rows = _by(results, "prep_compare")
    if rows:
        r = rows[0]
        part = "" if r["seed_fraction"] >= 1 else (
            f" The seed ran on {r['seed_fraction']:.0%} of the tunes ({_n(r['seed_tunes_measured'])}); its time and "
            f"tensor size are scaled to all of them, its RSS is as measured (a lower bound).")
        out += ["## 2. Data preparation of an IrishMAN-sized corpus", "",
                f"{_n(r['tunes'])} distinct tunes in IrishMAN's format ({r['json_mb']} MB of JSON, built from the "
                f"embedded tunes in other keys), each side in a fresh process. The embedded tunes are shorter than "
                f"IrishMAN's, so this corpus has {r['musicrnn_chars'] / 1e6:.0f} M characters against IrishMAN's "
                f"~62 M; musicrnn's time grows linearly with characters (about "
                f"{_t(r['musicrnn_wall_s'] * 62e6 / r['musicrnn_chars'])} at 62 M). Target for musicrnn: under 30 s "
                f"and 1.5 GB.{part}", "",
                "| | wall time | peak RSS | result |", "|---|---|---|---|",
                f"| musicrnn `prepare` (read, clean, split, encode; no cache) | {_t(r['musicrnn_wall_s'])} | "
                f"{_n(r['musicrnn_peak_rss_mb'])} MB | {_n(r['musicrnn_chars'])} chars, {r['musicrnn_stream_mb']} MB "
                f"uint8 stream |",
                f"| seed (read, pad to {r['seed_max_length']}, lists, LongTensor) | {_t(r['seed_wall_s_full'])} | "
                f"{_n(r['seed_peak_rss_mb'])} MB (of which {_n(r['seed_import_rss_mb'])} MB torch import) | "
                f"{_n(r['seed_tensor_mb_full'])} MB int64 tensor |",
                "", f"Target met: {_ok(r['target_met'])}. The seed does no cleaning at all; at the report's longer "
                "max length of 2,968 its tensor alone would be about 5 GB.", ""]

    rows = _by(results, "sampling")
    if rows:
        out += ["## 3. Sampling (tunes per second, 300 characters each)", "",
                "musicrnn samples all tunes in one batch (`stop_at_eos=False`, so every tune is exactly 300 "
                "characters, like the seed's); the seed calls `generate_music` once per tune, one after the other, so "
                "it is timed on a few tunes and n tunes cost n times its mean. Goal: ≥ 10× the seed's tunes/s at "
                "16 tunes.", ""]
        for r in rows:
            mc = r["model"]
            out += [f"{r['machine'].get('device')}, model {mc['cell']} {mc['embedding_dim']}/{mc['hidden_size']}/"
                    f"{mc['layers']} (`{Path(r['checkpoint']).parent.name}/"
                    f"{Path(r['checkpoint']).name}`), "
                    f"musicrnn median of {r['repeats']} runs, seed timed on "
                    f"{r.get('seed_tunes_timed', '?')} tunes:", "",
                    "| tunes | musicrnn | musicrnn tunes/s | seed | seed tunes/s | speedup |",
                    "|---|---|---|---|---|---|"]
            for x in r["rows"]:
                out.append(f"| {x['n']} | {_t(x['musicrnn_s'])} | {_n(x['musicrnn_tunes_per_s'], 1)} | "
                           f"{_t(x['seed_s'])} | "
                           f"{_n(x['seed_tunes_per_s'], 2)} | **{x['speedup']}×** |")
            out += ["", f"Goal (≥ 10× at 16 tunes) met: {_ok(r['goal_met'])}.", ""]

    rows = _by(results, "studio_latency")
    if rows:
        r = rows[0]
        s = r["split"]
        st = r["settings"]
        out += ["## 4. Studio latency (Generate → score and audio shown)", "",
                f"Studio defaults: {st['n']} candidates, up to {st['max_chars']} characters, M:{st['meter']} "
                f"L:{st['unit']} K:{st['key']}, temperature {st['temperature']}; "
                f"model `{Path(s['checkpoint']).parent.name}`."]
        if "browser_median_s" in r:
            out += ["", f"In {r['browser']}, fresh page per run, timed from the click until the engraved score has "
                    f"loaded and the audio player knows its duration: **median {_t(r['browser_median_s'])}** over "
                    f"{len(r['browser_runs_s'])} warm runs ({', '.join(_t(x) for x in r['browser_runs_s'])}); the "
                    f"first (cold: model load, first kernels) {_t(r['browser_cold_s'])}."]
        else:
            out += ["", "Browser figure **pending**: " + (r.get("browser_error", "not run").splitlines()[0])[:300]]
        out += ["", f"Split, measured in-process with the page's own calls (median of {r['runs']} seeds; "
                f"{_n(s['chars_generated_median'])} characters generated per Generate):", "",
                "| sampling | checking candidates | render: check | MIDI | audio (WAV) | "
                "engraving (MusicXML + SVG) | total |",
                "|---|---|---|---|---|---|---|",
                f"| {_t(s['sampling'])} | {_t(s['checking'])} | {_t(s['render_check'])} | {_t(s['midi'])} | "
                f"{_t(s['audio'])} | {_t(s['engraving'])} | {_t(s['total'])} |",
                "", "The browser figure also holds Streamlit's rerun, the websocket round trips and the browser "
                "decoding the SVG and audio.", ""]

    rows = _by(results, "scaling")
    for r in rows:
        z = r["sizes"]
        png = Path(r.get("plot", "scaling.png")).name
        out += [f"## 5. Scaling ({r['device']})", "",
                f"Embedding {z['embedding_dim']}, {z['layers']} layer(s), batch {z['batch_size']}, window "
                f"{z['seq_len']}; epoch of the embedded corpus = {_n(r['train_chars'])} training characters. "
                f"Steps: musicrnn {r['steps']} per hidden size ({r['steps'] // 2} measured), seed {r['seed_steps']} "
                f"(after 1 warm-up), {r['corpus_steps']} per corpus size; sampling {r['sample_n']} tunes × "
                f"{r['sample_chars']} characters (seed timed on 2 tunes, scaled: it is sequential).", "",
                "| hidden | musicrnn chars/s | epoch (musicrnn) | epoch (seed) | sample 16 (musicrnn) | "
                "sample 16 (seed) |",
                "|---|---|---|---|---|---|"]
        for x in r["by_hidden"]:
            out.append(f"| {x['hidden_size']} | {_n(x['musicrnn_chars_per_s'])} | {_t(x['musicrnn_epoch_s'])} | "
                       f"{_t(x.get('seed_epoch_s'))} | {_t(x['sample_musicrnn_s'])} | {_t(x['sample_seed_s'])} |")
        if r["by_corpus"]:
            out += ["", f"Corpus size (IrishMAN-format, hidden {z['hidden_size']}):", "",
                    "| tunes | training chars | preparation | musicrnn chars/s | epoch (musicrnn) | epoch (seed) |",
                    "|---|---|---|---|---|---|"]
            for x in r["by_corpus"]:
                out.append(f"| {_n(x['tunes'])} | {_n(x['train_chars'])} | {_t(x['prep_s'])} | "
                           f"{_n(x['musicrnn_chars_per_s'])} | {_t(x['musicrnn_epoch_s'])} | "
                           f"{_t(x.get('seed_epoch_s'))} |")
        out += ["", f"![scaling]({png})", ""]

    if errors:
        out += ["## Failed figures", ""]
        for r in errors:
            out += [f"- `{' '.join(r.get('argv', []))}`:", "", "```", r["error"][-1500:], "```", ""]
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(HERE), help="folder for results.jsonl, results.md and the plots")
    p.add_argument("--data", default="music21")
    p.add_argument("--checkpoint", default=None, help="model for sampling and studio (default: the shipped one)")
    p.add_argument("--devices", default=None, help="comma-separated (default: cpu, plus cuda when available)")
    p.add_argument("--only", default=None, help="comma-separated figures: train,prep,sampling,studio,scaling")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    p.add_argument("--report-only", action="store_true", help="rebuild results.md from results.jsonl")
    p.add_argument("--quiet-threshold", type=float, default=0.25,
                   help="busy fraction of all cores below which the CPU counts as quiet")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads of every script (OMP_NUM_THREADS); default: torch's own (all cores)")
    p.add_argument("--max-wait", type=float, default=120.0,
                   help="seconds to wait before each figure for other work to leave the CPU (0: do not wait)")
    p.add_argument("--script-timeout", type=float, default=None,
                   help="seconds each script may run before it is stopped and recorded as failed (default: no limit)")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    jsonl, md = out / "results.jsonl", out / "results.md"
    if a.report_only:
        results = [json.loads(l) for l in jsonl.read_text().splitlines() if l.strip()]
        results = [r for r in results if r.get("benchmark") != "run_all"]
        md.write_text(report(results, sum(r.get("script_wall_s", 0) for r in results)))
        return
    if a.devices:
        devices = a.devices.split(",")
    else:
        import torch

        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    only = set(a.only.split(",")) if a.only else None
    env = {**os.environ, **({"OMP_NUM_THREADS": str(a.threads)} if a.threads else {})}
    t0 = time.perf_counter()
    results = []
    if only and jsonl.exists():  # re-running some figures: keep the others' lines
        old = [json.loads(l) for l in jsonl.read_text().splitlines() if l.strip()]
        results = [r for r in old if r.get("benchmark") != "run_all" and r.get("figure") not in only]
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in results))
    for dev in devices:
        for figure, argv in plan(dev, a.quick, a.data, a.checkpoint, out):
            if only and figure not in only:
                continue
            res = run_one(figure, argv, a.max_wait, env, a.quiet_threshold, a.script_timeout)
            results.append(res)
            with open(jsonl, "a") as f:
                f.write(json.dumps(res) + "\n")
    total = round(time.perf_counter() - t0, 1)
    with open(jsonl, "a") as f:
        f.write(json.dumps({"benchmark": "run_all", "total_s": total, "devices": devices, "quick": a.quick}) + "\n")
    md.write_text(report(results, sum(r.get("script_wall_s", 0) for r in results)))
    print(f"[run_all] {len(results)} figures in {total} s; wrote {jsonl} and {md}", file=sys.stderr)


if __name__ == "__main__":
    main()
