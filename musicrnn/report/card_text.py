"""The model card's text: every figure in it comes from `card.json` (`model_card.py` measures them)."""
from __future__ import annotations

import json


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def render_readme(card: dict) -> str:
    """The human-readable card; every number comes from card.json."""
    m, t, v, mu, sp, d = card["model"], card["training"], card["validation"], card["music"], card["speed"], card["data"]
    cl = d["cleaning"]
    rows = "\n".join(
        f"| {name} | {mu[name]['tunes']} | {_pct(mu[name]['parse_rate'])} | {_pct(mu[name]['bar_ok_rate'])} | "
        f"{_pct(mu[name]['ended_rate'])} | {mu[name]['lcs_max']} ({mu[name]['lcs_median']}) |"
        for name in ("reel", "jig", "all"))
    samples = "\n\n".join(f"**{s['type']}** (seed {s['seed']}, temperature {s['temperature']}, prime "
                           f"`{json.dumps(s['prime'])}`{'' if s['ended'] else ', cut at the length limit'})\n\n"
                           f"```abc\n{s['abc'].rstrip()}\n```" for s in card["samples"])
    hours = (t["wall_time_s"] or 0) / 3600
    sel = card.get("selection", {})
    sweep_rows = "\n".join(
        f"| {r['round']} | `{r['data']}` | {r['model']['layers']} × {r['model']['hidden_size']} "
        f"(emb {r['model']['embedding_dim']}) | {r['model']['dropout']} | {r['parameters'] / 1e6:.2f} M | "
        f"{r['best_val_bpc']:.3f} | {r['cpu_one_tune_s']:.2f} s | {'**shipped**' if r.get('shipped') else ''} |"
        for r in sel.get("sweep", []))
    return f"""# musicrnn default model

A character-level {m['cell'].upper()} ({m['layers']} × {m['hidden_size']}, embedding {m['embedding_dim']}, dropout
{m['dropout']}; {card['parameters']:,} parameters, {card['file_mb']} MB) trained on the ABC tunes bundled with
music21. `python -m musicrnn generate` and the studio use it when no other checkpoint is chosen.

## Data
- Source: `{d['source']}`: {cl['tunes_in']:,} tunes read, {cl['tunes_kept']:,} kept after cleaning
  (dropped: {json.dumps(cl['dropped'])}).
- Cleaning: `X:` renumbered to 1; `L:`, `M:`, `K:` and the body kept; removed {sum(cl['fields_dropped'].values()):,}
  natural-language or layout fields ({', '.join(list(cl['fields_dropped'])[:8])}…); \
changes: {json.dumps(cl['changed'])}.
- Split: {d['split']} (by a hash of each tune's content): {d['train_tunes']:,} training tunes
  ({d['train_chars']:,} characters), {d['val_tunes']:,} validation tunes ({d['val_chars']:,} characters).

## Training
```bash
{t['command']}
```
Hardware: {t['hardware']}{t.get('hardware_note', '')}; wall time {hours * 60:.1f} min over
{t['steps']} steps (best checkpoint at step {t['best_step']}; run status: {t['status']}). {t.get('legs_note', '')}

![loss and accuracy curves](curves.png)

## How it was chosen
{sel.get('text', '')}

| round | data | layers × hidden | dropout | parameters | best validation bpc (trainer) | one tune on CPU | |
|---|---|---|---|---|---|---|---|
{sweep_rows}

## Validation
| measure | value |
|---|---|
| bits per character (each validation tune from a fresh state, with its end token) | **{v['bpc']:.3f}** |
| loss (nats per character) | {v['loss']:.4f} |
| next-character accuracy | {_pct(v['accuracy'])} |
| `xz -9` on the same tunes, given the training tunes | {v['xz9_bpc']:.3f} bits per character |

Reproduce: `{v['command']}`.

## Music
{mu['n_per_prime']} tunes per prime sampled at temperature {mu['temperature']} (seed {mu['seed']}, at most
{mu['max_chars']} characters), checked by `musicrnn.music.check_tune` (music21 parse, bar durations against the
meter with repeats and endings understood, end of tune). Copying: the longest body substring also found in a
training tune (max, median), in characters. Reproduce: `python benchmarks/music_quality.py --checkpoint
checkpoints/default -n {mu['n_per_prime']}`.

| prime | tunes | parse with music21 | bars with the meter's duration | end by themselves | longest copy |
|---|---|---|---|---|---|
{rows}

## Speed (CPU: {card['training']['machine']['cpu']}, {card['training']['machine']['cores']} cores, one torch thread)
- one 300-character tune: {sp['tunes_1_300_chars_s']} s (median of 9; \
range {sp['tunes_1_300_chars_range_s'][0]}-{sp['tunes_1_300_chars_range_s'][1]} s);
  16 at once: {sp['tunes_16_300_chars_s']} s \
(range {sp['tunes_16_300_chars_range_s'][0]}-{sp['tunes_16_300_chars_range_s'][1]} s).
  Sampling runs on one thread (two fight each other on a busy 2-core machine). {sp.get('note', '')}

## Samples
{samples}

## Known limits
{KNOWN_LIMITS}
"""


KNOWN_LIMITS = """\
- **Bars**: about 97 % of the bars of tunes sampled at temperature 1.0 have the meter's duration (reels about
  95 %, jigs about 99 %). Most of the wrong ones sit in a couple of reels that drift into another meter (in 64
  reels, two tunes hold 27 of 39: a 4/4 tune that goes on in 3/8 or 3/4 bars). The studio ranks its
  candidates with the same check, so what a user sees first is usually clean. Two cleaning steps got it here:
  making bar lines agree with line ends (`musicrnn/data/barlines.py`; before it the same shape reached 90 %, reels
  84 %) and dropping the tunes whose bars disagree with their meter (before it: 94 %, reels 92 %).
- **Empty bars**: now and then a tune writes a run of empty bars (` | | | |`), a habit of about 30 Essen songs
  in the corpus. With another seed (2) one reel in 64 did, and that run is the longest stretch any of those
  tunes shares with the training tunes (63 characters); the longest shared stretch of real music stays short.
- **Data choice**: the dance collections alone (`music21:dance`) make more reel-like reels, but a model trained
  on them alone reached only 1.52 bits per character (they are less predictable and 2.4 times smaller) and
  92 % good bars, so the whole corpus won.
- **Style**: the corpus mixes Irish, Scottish and American dance music (O'Neill's, Ryan's Mammoth, Aird's) with
  Essen folk songs (mostly German, some Chinese). With a 4/4 prime some tunes come out as Essen songs rather
  than reels; 6/8, 9/8 and 2/4 primes pull towards the dance music.
- **Size**: chosen to sample fast on a 2-core CPU; a wider model (2 × 448) reached slightly lower validation
  bpc (table above) but samples up to 2-3 times slower on a busy machine. `python -m musicrnn train --preset
  gpu --data data/irishman` is the path to a much stronger model (IrishMAN is about 25 times larger).
- Single-voice melody only (multi-voice tunes are flattened by cleaning); chord symbols are learned where the
  sources have them, lyrics and titles are not.
- The model knows only the characters of its corpus; a prime with others is refused with the list of them.
"""
