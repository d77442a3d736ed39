"""The model card's text: every figure in it comes from `card.json` (`model_card.py` measures them)."""
from __future__ import annotations

import json


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _cell(text: str) -> str:
    """Text for one cell of a markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fig(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def _style_section(card: dict) -> str:
    """The tune-type table: style figures of sampled tunes (both seeds) beside the validation tunes' own."""
    mu, mu2 = card["music"], card.get("music_seed2") or {}
    real = mu.get("validation_style") or {}
    names = [n for n in real if n in mu and "style" in mu[n]]
    if not names:
        return ""
    rows = []
    for n in names:
        a, b, r = mu[n]["style"], (mu2.get(n) or {}).get("style") or {}, real[n]
        cells = []
        for key in ("running_bars", "ends_on_final", "two_part"):
            cells.append(f"{_fig(a.get(key))} / {_fig(b.get(key))} | {_fig(r.get(key))}")
        rows.append(f"| {n} (`{json.dumps(mu[n]['prime'])}`) | " + " | ".join(cells)
                    + f" | {a.get('median_bars')} / {b.get('median_bars')} | {r.get('median_bars')} ({r['tunes']}) |"
                    + f" {_pct(mu[n]['parse_rate'])} / {_pct(mu[n]['bar_ok_rate'])} / {_pct(mu[n]['ended_rate'])}"
                    + f" | {mu[n]['lcs_max']} |")
    endings = "" if not mu.get("endings") else f""" and the endings `generate` and the studio use by default
(`--endings {mu['endings']}`: as often on the key's final, and in two parts as often, as real tunes of the
type, table below)"""
    return f"""## Tune types
Asked for a type (`generate --type reel`: `R:` with the meter and unit length the model's training tunes of
that type were written in){endings}, {mu['n_per_prime']} tunes per type sampled at temperature
{mu['temperature']} with seed {mu['seed']} and with seed {mu2.get('seed', '–')}, measured by
`musicrnn/music/style.py` exactly as the validation tunes of the type are (`benchmarks/music_quality.py
--endings {mu.get('endings') or 'model'}{' --strict-bars' if mu.get('strict_bars') else ''} --seeds 1,2`):
*running bars* (inner bars in which at least 3/4 of the unit-length slots start a note), *ends on the final*
(the last note is the tonic of its `K:`, the modal final for modes), *two-part form* (a repeat sign or at least
16 bars), median bars.

| type (prime) | running bars: sampled | real | ends on the final: sampled | real | two-part form: sampled \
| real | median bars: sampled | real (tunes) | parse / good bars / end (seed {mu['seed']}) | longest copy |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

"""


def _endings_section(card: dict) -> str:
    """The fitted endings (`calibrate`) and the figures of the same tunes as the model writes them."""
    fit, runs = card.get("endings") or {}, card.get("music_raw") or []
    if not fit or len(runs) != 2:
        return ""
    a, b = runs
    real = card["music"].get("validation_style") or {}
    tilted = [card["music"], card.get("music_seed2") or {}]
    rows = []
    for n in [n for n in real if n in a and "style" in a[n]]:
        sa, sb, r = a[n]["style"], b[n]["style"], real[n]
        f = fit.get(n)
        kept = f"{f['keep']:.3f} | {f['model']:.2f} → {f['fitted']:.2f} | {f['target']:.2f} " \
               f"({f['training_tunes']})" if f else "– | – | –"
        form = f"{f['form_keep']:.3f} | {f['form_model']:.2f} → {f['form_fitted']:.2f} | {f['form_target']:.2f}" \
            if f and "form_keep" in f else "– | – | –"
        with_fit = " / ".join(_fig((t.get(n) or {}).get("style", {}).get("ends_on_final")) for t in tilted)
        rows.append(f"| {n} | {kept} | {_fig(sa.get('ends_on_final'))} / "
                    f"{_fig(sb.get('ends_on_final'))} | {with_fit} | {_fig(r.get('ends_on_final'))} | "
                    f"{_fig(sa.get('running_bars'))} / {_fig(sb.get('running_bars'))} | "
                    f"{_fig(sa.get('two_part'))} / {_fig(sb.get('two_part'))} | "
                    f"{_pct(a[n]['parse_rate'])} / {_pct(a[n]['bar_ok_rate'])} / {_pct(b[n]['parse_rate'])} / "
                    f"{_pct(b[n]['bar_ok_rate'])} | {form} |")
    any_fit = next(iter(fit.values()))
    return f"""### Endings
As it comes, the model closes its parts where they should close, but it lands on the key's final less often than
real tunes do; many of its tunes end on the dominant. Sampling corrects that one figure, and only at the last bar.
A last bar that misses the final is kept with chance *keep*; otherwise that bar is drawn again from the state
before its opening bar line, at the same temperature, up to 16 times (a draw that goes on past that bar is
drawn again too, so tunes do not grow longer). This is rejection sampling of the model's own last bar, weighted
by *keep* against endings off the final. `python -m musicrnn calibrate` fits one *keep* per
type by bisection: {any_fit['samples']} tunes per step, seeds from {any_fit['seed']} (not the seeds measured
here). The target is the share of the type's **training** tunes that end on their final. The validation tunes
stay out of the fit. The fit is stored in the checkpoint (`endings`). `generate` and the studio use it by default
(*Endings: like real tunes of the type*). `--endings model` (*as the model writes them*) turns it off, and
`--endings final` (*always on the final*) redraws until the tune ends on the final.

When a tune ends matters too: a few of the model's reels stop after twelve bars, where nearly every real dance
tune has two parts (a repeat sign, or sixteen bars written out: `musicrnn/notation/form.py`). An end that comes
before the second part is kept with chance *form keep*; otherwise the end is drawn again from the other
characters, at the same temperature, and the tune goes on (up to 16 times). `calibrate` fits *form keep* first,
the same way, to the share of the type's training tunes in two parts, with the endings as the model writes them;
then *keep*, with the form tilt in place. Both are used by `--endings tradition` and `--endings final`.

| type | keep | on the final in the fit's samples: as written → kept | training tunes (counted) \
| as written: seed {a['seed']} / {b['seed']} | with the fit (table above) | validation | running bars as written \
| two-part as written | parse / good bars as written (seed {a['seed']}, seed {b['seed']}) | form keep \
| two parts in the fit's samples: as written → kept | training tunes |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

"""


def _bars_section(card: dict) -> str:
    """Bars kept to the meter (`strict_bars`): how often the model would have broken one, and the bar figures
    with and without it, both with the default endings."""
    default, other = [card["music"], card.get("music_seed2") or {}], card.get("music_strict_option") or []
    if len(other) != 2:
        return ""
    on, off = (default, other) if card["music"].get("strict_bars") else (other, default)
    names = [n for n in card["music"].get("validation_style") or {} if all(n in r for r in on + off)]
    rows = []
    for n in names:
        breaks = " / ".join(f"{100 * r[n]['bar_breaks_per_bar']:.1f}" for r in on)
        rows.append(f"| {n} | {breaks} | "
                    f"{_pct(on[0][n]['bar_ok_rate'])} / {_pct(on[1][n]['bar_ok_rate'])} | "
                    f"{_pct(off[0][n]['bar_ok_rate'])} / {_pct(off[1][n]['bar_ok_rate'])} | "
                    f"{_pct(on[0][n]['parse_rate'])} / {_pct(on[1][n]['parse_rate'])} | "
                    f"{_pct(off[0][n]['parse_rate'])} / {_pct(off[1][n]['parse_rate'])} | "
                    f"{_fig(on[0][n]['style']['two_part'])} / {_fig(on[1][n]['style']['two_part'])} | "
                    f"{_fig(off[0][n]['style']['two_part'])} / {_fig(off[1][n]['style']['two_part'])} |")
    sp = card.get("speed") or {}
    cost = "" if "tunes_1_300_chars_strict_s" not in sp else \
        f" It costs {100 * (sp['tunes_1_300_chars_strict_s'] / sp['tunes_1_300_chars_s'] - 1):.0f} % of the " \
        "time of one 300-character tune (the speed section)."
    default_word = "on" if card["music"].get("strict_bars") else "off"
    return f"""### Bars kept to the meter
`--strict-bars` (*Keep bars to the meter* in the studio; {default_word} by default) rules out, while a tune is
sampled, any character that would make the open bar longer than its meter: a note or rest in a full bar, a
length that would overflow it, or whatever would end a note too long for what is left; such a draw is drawn
again from the characters left. The bar is read as the style figures read it
(`musicrnn/notation/durations.py`, `musicrnn/generation/meter_guard.py`). Bars too short are left alone: a pickup,
a part's last bar and its endings are short by right. *Breaks* is how often the model, left to itself, would
have made a bar too long: its draws that were drawn again, per 100 bars.{cost} Both columns use the default
endings, seeds {on[0]['seed']} / {on[1].get('seed', '–')}.

| type | breaks per 100 bars | good bars, kept | without | parse, kept | without | two-part, kept | without |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

"""


def _listening(card: dict) -> str:
    tunes = card.get("listening") or []
    if not tunes:
        return ""
    body = "\n\n".join(f"**{s['type']}**, seed {s['seed']}{'' if s['ended'] else ' (cut at the length limit)'}: "
                         f"`python -m musicrnn generate --type '{s['type']}' --seed {s['seed']} --temperature 1.0 "
                         f"--max-chars 1500`\n\n```abc\n{s['abc'].rstrip()}\n```" for s in tunes)
    return f"""## Listening
Four tunes of each type, as they come (temperature 1.0, the default endings, no choosing), with the command that
writes each.

{body}

"""


def _dance_row(v: dict) -> str:
    d = v.get("dance")
    if not d:
        return ""
    return (f"| bits per character on the dance collections' validation tunes (`music21:dance`, {d['tunes']} "
            f"tunes) | {d['bpc']:.3f} |\n")


def context_input(model: dict) -> str:
    """The card's words for a model told its context at every character (`key_context`, `bar_context`)."""
    told = [words for flag, words in (("key_context", "the key in force (`--key-context`)"),
                                      ("bar_context", "the bar of the part (`--bar-context`)")) if model.get(flag)]
    if not told:
        return ""
    return f", told at every character {' and '.join(told)}, both read from the text as it goes,"


def augmentation(d: dict) -> str:
    """The card's line about key augmentation (`train --augment-keys`), or nothing when there was none."""
    if not d.get("augment_keys"):
        return ""
    return (f"- Key augmentation: {d['augment_keys']} transposed copies of each training tune "
            f"(`--augment-keys {d['augment_keys']}`; {d.get('augment_copies', 0):,} copies, "
            f"{d.get('augment_refused', 0):,} refused, {d.get('augment_chars', 0):,} characters); "
            "the validation tunes as written.\n")


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
        f"| {r['round']} | {_cell(r.get('name', ''))} | `{r['data']}` | "
        f"{r['model']['layers']} × {r['model']['hidden_size']} (emb {r['model']['embedding_dim']}) | "
        f"{r['model']['dropout']} | {r['parameters'] / 1e6:.2f} M | "
        f"{r['best_val_bpc']:.3f} | {r['cpu_one_tune_s']:.2f} s | {'**shipped**' if r.get('shipped') else ''} |"
        for r in sel.get("sweep", []))
    return f"""# musicrnn default model

A character-level {m['cell'].upper()} ({m['layers']} × {m['hidden_size']}, embedding {m['embedding_dim']}, dropout
{m['dropout']}; {card['parameters']:,} parameters, {card['file_mb']} MB){context_input(m)} trained on the ABC tunes
bundled with music21, with their tune types (`R:`): ask it for a reel, a jig, a hornpipe, a slip jig, a
strathspey, an air, a fling or a song (`generate --type jig`; the studio's picker). `python -m musicrnn generate`
and the studio use it when no other checkpoint is chosen.

## Data
- Source: `{d['source']}`: {cl['tunes_in']:,} tunes read, {cl['tunes_kept']:,} kept after cleaning
  (dropped: {json.dumps(cl['dropped'])}).
- Cleaning: `X:` renumbered to 1; `L:`, `M:`, `R:` (as one tune type), `K:` and the body kept; \
removed {sum(cl['fields_dropped'].values()):,}
  natural-language or layout fields ({', '.join(list(cl['fields_dropped'])[:8])}…); \
changes: {json.dumps(cl['changed'])}.
- Split: {d['split']} (by a hash of each tune's content): {d['train_tunes']:,} training tunes
  ({d['train_chars']:,} characters), {d['val_tunes']:,} validation tunes ({d['val_chars']:,} characters).
{augmentation(d)}
## Training
```bash
{t['command']}
```
Hardware: {t['hardware']}{t.get('hardware_note', '')}; wall time {hours * 60:.1f} min over
{t['steps']} steps (best checkpoint at step {t['best_step']}; run status: {t['status']}). {t.get('legs_note', '')}

![loss and accuracy curves](curves.png)

## How it was chosen
{sel.get('text', '')}

| round | run | data | layers × hidden | dropout | parameters | best validation bpc (trainer) | one tune on CPU | |
|---|---|---|---|---|---|---|---|---|
{sweep_rows}

## Validation
| measure | value |
|---|---|
| bits per character (each validation tune from a fresh state, with its end token) | **{v['bpc']:.3f}** |
| loss (nats per character) | {v['loss']:.4f} |
| next-character accuracy | {_pct(v['accuracy'])} |
| `xz -9` on the same tunes, given the training tunes | {v['xz9_bpc']:.3f} bits per character |
{_dance_row(v)}
Reproduce: `{v['command']}`.

## Music
{mu['n_per_prime']} tunes per prime sampled at temperature {mu['temperature']} (seed {mu['seed']}, at most
{mu['max_chars']} characters), checked by `musicrnn.music.check_tune` (music21 parse, bar durations against the
meter with repeats and endings understood, end of tune). Copying: the longest body substring also found in a
training tune (max, median), in characters. Reproduce: `python benchmarks/music_quality.py --checkpoint
checkpoints/default -n {mu['n_per_prime']}{_flags(mu)}`.

| prime | tunes | parse with music21 | bars with the meter's duration | end by themselves | longest copy |
|---|---|---|---|---|---|
{rows}

{_style_section(card)}{_endings_section(card)}{_bars_section(card)}\
## Speed (CPU: {card['training']['machine']['cpu']}, \
{card['training']['machine']['cores']} cores, one torch thread)
- one 300-character tune: {sp['tunes_1_300_chars_s']} s (median of 9; \
range {sp['tunes_1_300_chars_range_s'][0]}-{sp['tunes_1_300_chars_range_s'][1]} s){_strict_speed(sp, 1)};
  16 at once: {sp['tunes_16_300_chars_s']} s \
(range {sp['tunes_16_300_chars_range_s'][0]}-{sp['tunes_16_300_chars_range_s'][1]} s){_strict_speed(sp, 16)}.
  Sampling runs on one thread (two fight each other on a busy 2-core machine). {sp.get('note', '')}

## Samples
{samples}

{_listening(card)}## Known limits
{_limits_measured(card)}{KNOWN_LIMITS}
"""


def _flags(mu: dict) -> str:
    """The `music_quality.py` options the card's music was sampled with."""
    return (f" --endings {mu['endings']}" if mu.get("endings") else "") + (" --strict-bars" if mu.get("strict_bars")
                                                                         else "")


def _strict_limit(card: dict) -> str:
    if not card.get("music_strict_option"):
        return ""
    if card["music"].get("strict_bars"):
        return """ The sampler keeps bars from running
  longer than the meter (`--strict-bars`, the section above), so the wrong bars left are nearly all too short."""
    return """ Keeping bars to the meter
  (`--strict-bars`, the section above) stops bars running long, but many wrong bars are short ones (a tune that
  loses count and closes a bar early), which it leaves: over 8 seeds it helped jigs' and slip jigs' bars and not
  reels' or hornpipes', so it is an option, off by default."""


def _strict_speed(sp: dict, n: int) -> str:
    key = f"tunes_{n}_300_chars_strict"
    if f"{key}_s" not in sp:
        return ""
    lo, hi = sp[f"{key}_range_s"]
    return f", with bars kept to the meter (`--strict-bars`) {sp[f'{key}_s']} s ({lo}-{hi} s)"


def _span(values: list[float], fmt=_fig) -> str:
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}-{fmt(hi)}"


def _limits_measured(card: dict) -> str:
    """The known limits whose figures the card measures (endings, bars), for reels and jigs across both seeds."""
    mu, mu2 = card["music"], card.get("music_seed2") or {}
    real = mu.get("validation_style") or {}
    raw_runs = card.get("music_raw") or []
    types = [n for n in ("reel", "jig") if n in real and "style" in mu.get(n, {}) and "style" in mu2.get(n, {})]
    if not types or len(raw_runs) != 2:
        return ""

    def style(runs, n, key):
        return [r[n]["style"][key] for r in runs]

    raw = ", ".join(f"{n}s {_span(style(raw_runs, n, 'ends_on_final'))} against {_fig(real[n]['ends_on_final'])}"
                    for n in types)
    tilted = ", ".join(f"{n}s {_span(style([mu, mu2], n, 'ends_on_final'))}" for n in types)
    two_part = _span([x for n in types for x in style([mu, mu2], n, "two_part")])
    bars = _span([r[n]["bar_ok_rate"] for r in (mu, mu2) for n in types], lambda x: f"{100 * x:.1f}")
    every = _span([r["all"]["bar_ok_rate"] for r in (mu, mu2) if "all" in r], lambda x: f"{100 * x:.1f}")
    return f"""\
- **Endings**: asked for a type, the model writes its rhythm and form (running bars as often as real reels and
  jigs, two parts in {two_part} of them, tables above), but as it comes it ends on the key's final less often than
  real tunes: {raw} (validation). Its parts close where they should, often on the dominant. The default endings
  fix that figure in the sampler, not in the network: {tilted} (the endings table). The network's own
  endings did not move with the key and bar inputs (stage 5). Wrong notes in training and a heavier loss on a
  part's last bars (`--note-noise`, `--cadence-weight`, tried on stage 5: see how it was chosen) did not move them
  much either. The loss on a part's last note alone, counted 20 times (`--cadence-bars 0`), raised the figure by
  about 0.1, but it took reels' parses and bars under the floors, so that model does not ship. The network knows
  where it is. Linear probes read from its state that it is in a part's last bar (0.90 precision). As it chooses
  a note's letter there, they read whether that note will end the part (0.80 precision, 0.90 recall). Yet it
  gives the tonic a mean 0.48 of its probability at a part's last note, where real tunes have it 0.76 of the
  time. The next thing to try is more data per type (IrishMAN's 214,000 tunes on a GPU) or a larger model, taught
  at the last note.
- **Bars**: of the bars of tunes sampled at temperature {mu['temperature']}, {bars} % of reels' and jigs' have the
  meter's duration, {every} % over all the types asked for (slip jigs, 9/8, pull it down). The studio ranks its
  candidates with the same check, so what a user sees first is usually clean. Cleaning got reels and jigs most
  of the way (bar lines that agree with line ends, `musicrnn/data/barlines.py`, and dropping tunes whose bars
  disagree with their meter); the bar input (stage 5) the rest.{_strict_limit(card)}
"""


KNOWN_LIMITS = """\
- **Types it does not know**: the bundled corpus has no polkas and 4 waltzes, so the model knows neither type
  (`generate --type polka` says which types it knows); the studio offers only the types it was trained with.
- **Empty bars**: now and then a tune writes a run of empty bars (` | | | |`), a habit of about 30 Essen songs
  in the corpus.
- **Style**: the corpus mixes Irish, Scottish and American dance music (O'Neill's, Ryan's Mammoth, Aird's) with
  Essen folk songs (mostly German, some Chinese), typed `song`; without a type, a 4/4 prime still comes out as
  an Essen song as often as a reel.
- **Size**: chosen to sample fast on a 2-core CPU; a wider model (2 × 448) reached slightly lower validation
  bpc (table above) but samples up to 2-3 times slower on a busy machine. `python -m musicrnn train --preset
  gpu --data data/irishman` is the path to a much stronger model (IrishMAN is about 25 times larger).
- Single-voice melody only (multi-voice tunes are flattened by cleaning); chord symbols are learned where the
  sources have them, lyrics and titles are not.
- The model knows only the characters of its corpus; a prime with others is refused with the list of them.
"""
