// The tune player: the engraved score inline, a cursor that follows the audio, click a note to play from it,
// loop bars (with a count-in), slow down or speed up without changing pitch, and live editing of the ABC.
//
// Data from Python (app_support/player.py): {key, svg, timeline, audio, files, transposed, problem, summary,
// no_audio, abc, revision, editable, stem, render_url, beats, options}. The timeline comes from the same expansion
// of the tune the MIDI is made from: `events` [start s, end s, note] in time order, `played_bars` [start s, end s,
// bar], `notes` [{ids, bar}] (SVG ids of each written note), `bars` [{id, label}].
// Edits are rendered through `render_url` (no Streamlit rerun); the text goes back to Python (state "abc")
// when the box loses focus. Tune text only ever reaches the page as text: the box's value, textContent, and
// an SVG the server has passed through an allow-list sanitizer, parsed as XML.

const STYLE = `.mr-player { width: 100%; font-family: inherit; }
.mr-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin: 0.25rem 0 0.5rem; }
.mr-bar button, .mr-bar select, .mr-bar a.mr-file { min-height: 40px; min-width: 40px; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.2); background: var(--st-secondary-background-color, #f0f2f6);
  color: inherit; font: inherit; padding: 0 0.75rem; cursor: pointer; text-decoration: none;
  display: inline-flex; align-items: center; box-sizing: border-box; }
.mr-bar button.mr-primary { background: var(--st-primary-color, #ff4b4b); color: #fff; border-color: transparent;
  min-width: 5.5rem; justify-content: center; }
.mr-bar button[aria-pressed="true"] { outline: 2px solid var(--st-primary-color, #ff4b4b); }
.mr-bar label { display: inline-flex; align-items: center; gap: 0.35rem; min-height: 40px; }
.mr-bar input[type=range] { width: 7rem; min-height: 40px; }
.mr-bar input[type=checkbox] { width: 1.25rem; height: 1.25rem; }
.mr-time { font-variant-numeric: tabular-nums; opacity: 0.8; min-width: 6.5rem; }
.mr-score { width: 100%; overflow: hidden; background: #fff; border-radius: 0.5rem; }
.mr-score svg { width: 100%; height: auto; display: block; }
.mr-score g.note, .mr-score g.chord { cursor: pointer; }
.mr-score g.playing, .mr-score g.playing * { fill: #d6336c !important; stroke: #d6336c; color: #d6336c; }
.mr-score rect.mr-bar-mark { fill: rgba(255, 196, 0, 0.22); }
.mr-score rect.mr-loop-mark { fill: rgba(33, 125, 220, 0.12); }
.mr-files { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.5rem; }
.mr-abc { width: 100%; box-sizing: border-box; min-height: 12rem; font-family: ui-monospace, monospace;
  font-size: 0.9rem; border-radius: 0.5rem; padding: 0.5rem; border: 1px solid rgba(49, 51, 63, 0.2);
  background: var(--st-secondary-background-color, #f0f2f6); color: inherit; }
.mr-abc-label { font-size: 0.875rem; margin-top: 0.75rem; }
.mr-problem { color: #c0392b; font-size: 0.875rem; min-height: 1.25rem; white-space: pre-wrap; }
.mr-status { font-size: 0.875rem; opacity: 0.75; min-height: 1.25rem; }
.mr-note { font-size: 0.875rem; opacity: 0.75; }
`;

const players = new Set();
let lastUsed = null;

function el(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function fmt(t) {
  if (!isFinite(t)) t = 0;
  const m = Math.floor(t / 60), s = t - 60 * m;
  return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
}

// The note sounding at time t: the last event that has started and not ended (-1 between notes).
export function noteAt(events, t) {
  let lo = 0, hi = events.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid][0] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  for (let i = found; i >= 0 && i > found - 8; i--) {
    if (events[i][0] <= t && t < events[i][1]) return events[i][2];
  }
  return -1;
}

// A problem as the page says it: "line 6, column 12: message".
function problemText(pr) {
  if (!pr) return "";
  return (pr.line ? "line " + pr.line + (pr.column ? ", column " + pr.column : "") + ": " : "") + pr.message;
}

function playedBarAt(bars, t) {
  for (let i = 0; i < bars.length; i++) if (bars[i][0] <= t && t < bars[i][1]) return i;
  return bars.length ? bars.length - 1 : -1;
}

function build(host) {
  const root = el("div", { class: "mr-player", "data-testid": "musicrnn-player" }, host);
  el("style", {}, root, STYLE);
  const bar = el("div", { class: "mr-bar", role: "toolbar", "aria-label": "Player" }, root);
  const play = el("button", { type: "button", class: "mr-primary", "aria-label": "Play" }, bar, "▶ Play");
  const time = el("span", { class: "mr-time", "aria-live": "off" }, bar, "0:00.0 / 0:00.0");
  const speedLabel = el("label", {}, bar, "Speed ");
  const speed = el("input", { type: "range", min: "50", max: "150", step: "5", value: "100",
                              "aria-label": "Speed in percent" }, speedLabel);
  const speedText = el("span", {}, speedLabel, "100%");
  const loop = el("button", { type: "button", "aria-pressed": "false", "aria-label": "Loop bars" }, bar, "⟲ Loop");
  const fromLabel = el("label", {}, bar, "from");
  const from = el("select", { "aria-label": "Loop from bar" }, fromLabel);
  const toLabel = el("label", {}, bar, "to");
  const to = el("select", { "aria-label": "Loop to bar" }, toLabel);
  const countLabel = el("label", {}, bar, "");
  const countIn = el("input", { type: "checkbox", "aria-label": "Count in one bar" }, countLabel);
  countLabel.appendChild(document.createTextNode("count-in"));
  const rampLabel = el("label", { title: "Each time the loop comes round it plays 5% faster, up to 100%: start slow "
                                         + "and work up to the tune's own tempo" }, bar, "");
  const ramp = el("input", { type: "checkbox", "aria-label": "Speed up 5% each time round the loop" }, rampLabel);
  rampLabel.appendChild(document.createTextNode("speed up"));
  const score = el("div", { class: "mr-score", role: "img", "aria-label": "Score" }, root);
  const audio = el("audio", { preload: "auto" }, root);
  const status = el("div", { class: "mr-status" }, root);
  const files = el("div", { class: "mr-files" }, root);
  const abcLabel = el("div", { class: "mr-abc-label" }, root, "ABC (edit it: score and sound follow as you type)");
  const abc = el("textarea", { class: "mr-abc", spellcheck: "false", "aria-label": "ABC" }, root);
  const problem = el("div", { class: "mr-problem", role: "status" }, root);
  return { root, toolbar: bar, play, time, speed, speedText, loop, from, to, countIn, ramp, score, audio, status, files,
           abcLabel, abc, problem };
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const host = parentElement;
  let p = host.__musicrnnPlayer;
  if (!p) {
    p = host.__musicrnnPlayer = makePlayer(host, setStateValue);
    players.add(p);
  }
  p.setStateValue = setStateValue;
  p.update(data);
  return () => {};
}

function makePlayer(host, setStateValue) {
  const v = build(host);
  const st = { tl: null, key: null, revision: null, pythonAbc: null, loopOn: false, loopA: 0, loopB: 0, loopChosen: false,
               shownNote: -1, shownBar: -1, raf: 0, timer: 0, inflight: 0, countingIn: false,
               marks: [], loopMarks: [], selectAnchor: null, options: {}, url: "", width: null };
  const self = { setStateValue, root: v.root };

  // ----- drawing the score and its marks
  function drawScore(svgText) {
    v.score.textContent = "";
    st.shownNote = -1; st.shownBar = -1; st.marks = []; st.loopMarks = [];
    if (!svgText) return;
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = doc.documentElement;
    if (!svg || svg.nodeName.toLowerCase() !== "svg" || doc.getElementsByTagName("parsererror").length) return;
    v.score.appendChild(document.importNode(svg, true));
  }

  function byId(id) {
    try { return v.score.querySelector("#" + CSS.escape(id)); } catch (e) { return null; }
  }

  function tagNotes() {
    const tl = st.tl;
    if (!tl) return;
    tl.notes.forEach((n, i) => n.ids.forEach((id) => { const e = byId(id); if (e) e.setAttribute("data-note", i); }));
    tl.bars.forEach((b, i) => { const e = byId(b.id); if (e) e.setAttribute("data-bar", i); });
    const shade = self.shade || [];
    if (shade.length && shade.length === tl.notes.length) {
      tl.notes.forEach((n, i) => n.ids.forEach((id) => {
        const e = byId(id);
        if (e) e.style.fill = "rgba(214, 51, 108, " + (0.15 + 0.85 * shade[i]).toFixed(3) + ")";
      }));
    }
  }

  function markBar(bar, cls) {
    const g = st.tl && st.tl.bars[bar] ? byId(st.tl.bars[bar].id) : null;
    if (!g || !g.getBBox) return null;
    const b = g.getBBox();
    const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    r.setAttribute("class", cls);
    r.setAttribute("x", b.x); r.setAttribute("y", b.y); r.setAttribute("width", b.width); r.setAttribute("height", b.height);
    g.insertBefore(r, g.firstChild);
    return r;
  }

  function show(t) {
    const tl = st.tl;
    v.time.textContent = fmt(t) + " / " + fmt(tl ? tl.seconds : v.audio.duration);
    if (!tl) return;
    const note = noteAt(tl.events, t);
    if (note !== st.shownNote) {
      v.score.querySelectorAll(".playing").forEach((e) => e.classList.remove("playing"));
      if (note >= 0) tl.notes[note].ids.forEach((id) => { const e = byId(id); if (e) e.classList.add("playing"); });
      st.shownNote = note;
      v.root.setAttribute("data-playing-note", String(note));
    }
    const pb = playedBarAt(tl.played_bars, t);
    const bar = pb >= 0 ? tl.played_bars[pb][2] : -1;
    if (bar !== st.shownBar) {
      st.marks.forEach((r) => r.remove());
      st.marks = [];
      if (bar >= 0) {
        const r = markBar(bar, "mr-bar-mark");
        if (r) { st.marks.push(r); if (!v.audio.paused) keepInView(r); }
      }
      st.shownBar = bar;
    }
  }

  function keepInView(node) {
    const r = node.getBoundingClientRect();
    const h = window.innerHeight || document.documentElement.clientHeight;
    if (r.top < 0 || r.bottom > h) node.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // ----- the loop, in played time: from the first time bar A sounds to the end of bar B after it
  function loopRange() {
    const pb = st.tl ? st.tl.played_bars : [];
    const a = pb.findIndex((x) => x[2] === st.loopA);
    if (a < 0) return null;
    let b = -1;
    for (let i = a; i < pb.length; i++) if (pb[i][2] === st.loopB) { b = i; break; }
    if (b < 0) b = a;
    return [pb[a][0], pb[b][1]];
  }

  function drawLoop() {
    st.loopMarks.forEach((r) => r.remove());
    st.loopMarks = [];
    v.loop.setAttribute("aria-pressed", String(st.loopOn));
    v.root.setAttribute("data-loop", st.loopOn ? JSON.stringify(loopRange()) : "");
    if (!st.loopOn || !st.tl) return;
    const lo = Math.min(st.loopA, st.loopB), hi = Math.max(st.loopA, st.loopB);
    for (let b = lo; b <= hi; b++) { const r = markBar(b, "mr-loop-mark"); if (r) st.loopMarks.push(r); }
  }

  function fillBarChoices() {
    const bars = st.tl ? st.tl.bars : [];
    for (const sel of [v.from, v.to]) {
      sel.textContent = "";
      bars.forEach((b, i) => el("option", { value: String(i) }, sel, b.label === "0" ? "pickup" : "bar " + b.label));
    }
    if (!st.loopChosen) {
      // until the player picks bars, a loop is the first phrase: four bars after any pickup, as tunes are learnt
      st.loopA = bars.length > 1 && bars[0].label === "0" ? 1 : 0;
      st.loopB = st.loopA + 3;
    }
    st.loopA = Math.min(st.loopA, Math.max(0, bars.length - 1));
    st.loopB = Math.min(Math.max(st.loopB, st.loopA), Math.max(0, bars.length - 1));
    v.from.value = String(st.loopA); v.to.value = String(st.loopB);
  }

  // ----- playing
  function tick() {
    const a = v.audio;
    if (st.loopOn && !st.countingIn) {
      const r = loopRange();
      if (r && a.currentTime >= r[1] - 0.005) { a.currentTime = r[0]; roundAgain(); }
      else if (r && a.currentTime < r[0] - 0.25) a.currentTime = r[0];
    }
    show(a.currentTime);
    if (!a.paused) st.raf = requestAnimationFrame(tick);
  }

  function countIn() {
    // one bar of clicks at the playing speed, from this page's own oscillator
    const r = loopRange();
    const first = (r && st.tl.played_bars.find((x) => x[0] === r[0])) || [0, 2];
    const barSeconds = first[1] - first[0];
    const beats = Math.max(1, self.beats || 4);
    const rate = a_rate();
    const step = Math.max(0.15, barSeconds / rate / beats);
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return Promise.resolve();
    const ctx = self.ctx || (self.ctx = new Ctx());
    const t0 = ctx.currentTime + 0.05;
    for (let i = 0; i < beats; i++) {
      const o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = i === 0 ? 1568 : 1175;
      g.gain.setValueAtTime(0.0001, t0 + i * step);
      g.gain.exponentialRampToValueAtTime(0.4, t0 + i * step + 0.005);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + i * step + 0.08);
      o.connect(g); g.connect(ctx.destination);
      o.start(t0 + i * step); o.stop(t0 + i * step + 0.1);
    }
    st.countingIn = true;
    return new Promise((res) => setTimeout(() => { st.countingIn = false; res(); }, 50 + 1000 * beats * step));
  }

  function a_rate() { return Number(v.speed.value) / 100; }

  // practice as musicians do: each time round the loop a little faster, until the tune's own tempo
  function roundAgain() {
    if (!v.ramp.checked || Number(v.speed.value) >= 100) return;
    v.speed.value = String(Math.min(100, Number(v.speed.value) + 5));
    applySpeed();
  }

  async function start(at) {
    const a = v.audio;
    if (!a.src) { st.playWhenLoaded = !!st.audioUrl; return; }  // Play before the sound has come: play it then
    lastUsed = self;
    if (at !== undefined) a.currentTime = at;
    if (st.loopOn) {
      const r = loopRange();
      if (r && (a.currentTime < r[0] || a.currentTime >= r[1])) a.currentTime = r[0];
      if (v.countIn.checked && r) { a.currentTime = r[0]; await countIn(); }
    }
    try { await a.play(); } catch (e) { v.status.textContent = "The browser did not start the sound: " + e.message; }
  }

  function pause() { v.audio.pause(); }
  self.toggle = () => (v.audio.paused ? start() : pause());

  v.play.addEventListener("click", () => self.toggle());
  v.audio.addEventListener("play", () => {
    v.play.textContent = "❚❚ Pause"; v.play.setAttribute("aria-label", "Pause");
    cancelAnimationFrame(st.raf); st.raf = requestAnimationFrame(tick);
  });
  v.audio.addEventListener("pause", () => { v.play.textContent = "▶ Play"; v.play.setAttribute("aria-label", "Play"); show(v.audio.currentTime); });
  v.audio.addEventListener("ended", () => { if (st.loopOn) { roundAgain(); start(); } });
  v.audio.addEventListener("seeked", () => show(v.audio.currentTime));
  v.audio.addEventListener("loadedmetadata", () => { applySpeed(); show(v.audio.currentTime); });

  function applySpeed() {
    const a = v.audio;
    a.preservesPitch = true; a.mozPreservesPitch = true; a.webkitPreservesPitch = true;
    a.playbackRate = a_rate();
    v.speedText.textContent = v.speed.value + "%";
  }
  v.speed.addEventListener("input", applySpeed);

  v.loop.addEventListener("click", () => { st.loopOn = !st.loopOn; lastUsed = self; drawLoop(); });
  v.from.addEventListener("change", () => {
    st.loopA = Number(v.from.value); st.loopChosen = true;
    if (st.loopB < st.loopA) { st.loopB = st.loopA; v.to.value = v.from.value; }
    drawLoop();
  });
  v.to.addEventListener("change", () => {
    st.loopB = Number(v.to.value); st.loopChosen = true;
    if (st.loopB < st.loopA) { st.loopA = st.loopB; v.from.value = v.to.value; }
    drawLoop();
  });

  // click (tap) a note: play from it; shift-click two notes: loop their bars
  v.score.addEventListener("click", (ev) => {
    const n = ev.target.closest && ev.target.closest("[data-note]");
    if (!n || !st.tl) return;
    const note = Number(n.getAttribute("data-note"));
    const bar = st.tl.notes[note].bar;
    if (ev.shiftKey) {
      if (st.selectAnchor === null) { st.selectAnchor = bar; st.loopA = st.loopB = bar; }
      else { st.loopA = Math.min(st.selectAnchor, bar); st.loopB = Math.max(st.selectAnchor, bar); st.selectAnchor = null; }
      st.loopOn = true; st.loopChosen = true; v.from.value = String(st.loopA); v.to.value = String(st.loopB); drawLoop();
      return;
    }
    const first = st.tl.events.find((e) => e[2] === note);
    if (first) start(first[0]);
  });

  // ----- files
  function drawFiles(files, sheet, transposed) {
    v.files.textContent = "";
    const stem = self.stem || "tune";
    const row = el("div", { class: "mr-bar" }, v.files);
    files = files || {};
    if (transposed && !transposed.as_written && files.abc) {
      // the tune written out in the key it sounds in, as the score shows it (the box keeps the text as written)
      const by = (transposed.semitones > 0 ? "+" : "") + transposed.semitones;
      const inKey = transposed.key ? " in " + transposed.key : " " + by;
      el("a", { class: "mr-file", href: files.abc + "?name=" + encodeURIComponent(stem), download: stem + ".abc",
                role: "button", "aria-label": "Download ABC, transposed " + by,
                title: "The tune written out in the key it sounds in (" + by + " semitones), as the score shows it"
              },
         row, "⤓ ABC" + inKey);
    } else {
      const abcLink = el("a", { class: "mr-file", href: "#", download: stem + ".abc", role: "button",
                                "aria-label": "Download ABC" }, row, "⤓ ABC");
      abcLink.addEventListener("click", () => {
        const url = URL.createObjectURL(new Blob([v.abc.value || self.abcText || ""], { type: "text/plain" }));
        abcLink.href = url;
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      });
    }
    const names = { midi: ["MIDI", ".mid"], musicxml: ["MusicXML", ".musicxml"], "wav-full": ["WAV", ".wav"] };
    for (const [fmtName, url] of Object.entries(files)) {
      if (fmtName === "abc") continue;
      const [label, ext] = names[fmtName] || [fmtName, ""];
      el("a", { class: "mr-file", href: url + "?name=" + encodeURIComponent(stem), download: stem + ext,
                role: "button", "aria-label": "Download " + label }, row, "⤓ " + label);
    }
    if (sheet) {  // the score laid out for paper, in a tab of its own, with its own Print button
      el("a", { class: "mr-file", href: sheet, target: "_blank", rel: "noopener", role: "button",
                "aria-label": "Print the score", title: "Open the score laid out for A4 paper, to print" },
         row, "Print");
    }
    if (transposed && transposed.as_written) {
      el("span", { class: "mr-note" }, row, "Transposed in the sound and the score only (" + transposed.as_written
         + "): the ABC and MusicXML are as written.");
    }
  }

  // ----- one render (from Python, or from the render route after an edit)
  function showRender(r, sameSound = false) {
    st.key = r.key;
    st.tl = r.timeline;
    v.root.__timeline = r.timeline;  // for tests and tools that check the cursor against the timeline
    drawScore(r.svg);
    tagNotes();
    fillBarChoices();
    drawLoop();
    if (r.audio && r.audio !== st.audioUrl && !(sameSound && st.audioUrl)) {
      st.audioUrl = r.audio;
      loadAudio(r.audio);
    } else if (!r.audio) {
      st.audioUrl = null;
      v.audio.removeAttribute("src");
    }
    v.play.disabled = !r.audio;
    v.toolbar.style.display = r.audio || r.svg ? "" : "none";  // nothing to play: only the problem shows
    drawFiles(r.files, r.sheet, r.transposed);
    v.status.textContent = (r.summary || "") + (r.no_audio && !r.problem ? " · no audio: " + r.no_audio : "")
      + (r.timeline && !r.timeline.exact ? " · the cursor follows the bars as written" : "");
    v.problem.textContent = problemText(r.problem);
    show(v.audio.currentTime || 0);
  }

  // The audio as a blob: a blob URL is seekable everywhere, whatever the server says about byte ranges. It is
  // synthesized on the first request, so it may arrive after Play: what was playing then goes on from there.
  async function loadAudio(url) {
    try {
      const r = await fetch(url);
      if (url !== st.audioUrl) return;
      if (!r.ok) {  // the score stays; say why there is no sound
        const doc = await r.json().catch(() => ({}));
        v.status.textContent += " · no audio: " + (doc.error || "HTTP " + r.status);
        v.play.disabled = true;
        return;
      }
      const blob = await r.blob();
      if (url !== st.audioUrl) return;
      const old = v.audio.getAttribute("src"), playing = !v.audio.paused;
      const at = Math.min(v.audio.currentTime, st.tl ? st.tl.seconds : v.audio.currentTime);
      v.audio.setAttribute("src", URL.createObjectURL(blob));
      v.audio.load();
      if (old && old.startsWith("blob:")) URL.revokeObjectURL(old);
      v.root.setAttribute("data-audio", url);
      if (st.playWhenLoaded) { st.playWhenLoaded = false; start(); }
      else if (playing) { v.audio.currentTime = at; v.audio.play().catch(() => {}); }
    } catch (e) {
      v.status.textContent = "Cannot load the audio: " + e.message;
    }
  }

  // ----- live editing: render through the route once typing stops; keep the last good score on a problem
  // `sameSound`: only the width changes (the page's own tune, drawn again for a narrow column), so the sound
  // already loading or playing is kept rather than synthesized again under the new render's key.
  async function renderText(text, sameSound = false) {
    const id = ++st.inflight;
    // how the sampler ended the tune holds for the text Python drew; an edit is judged by the check alone
    const ended = text === self.abcText ? st.options.ended : null;
    const body = JSON.stringify({ abc: text, ...st.options, ended, width: st.width });
    try {
      const r = await fetch(st.url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const doc = await r.json();
      if (id !== st.inflight) return;  // a newer edit is on its way
      if (!r.ok) { v.problem.textContent = doc.error || ("HTTP " + r.status); return; }
      if (doc.svg && !doc.problem) showRender(doc, sameSound);
      else v.problem.textContent = problemText(doc.problem) || "This text cannot be drawn; the last good score stays.";
      v.root.setAttribute("data-rendered", String(id));
    } catch (e) {
      if (id === st.inflight) v.problem.textContent = "Cannot reach the server to render: " + e.message;
    }
  }

  v.abc.addEventListener("input", () => {
    clearTimeout(st.timer);
    st.timer = setTimeout(() => renderText(v.abc.value), 350);
  });
  v.abc.addEventListener("change", () => {
    if (v.abc.value !== st.pythonAbc) { st.pythonAbc = v.abc.value; self.setStateValue("abc", v.abc.value); }
  });
  v.root.addEventListener("pointerdown", () => { lastUsed = self; });

  function narrowWidth() {
    const w = v.root.clientWidth || host.clientWidth || 0;
    // the density a wide page has (2100 verovio units over ~900 px), on a narrow screen: bars wrap instead
    return w && w < 880 ? Math.max(600, Math.min(2100, Math.round(w / 0.43))) : null;
  }

  self.update = (d) => {
    const shadeChanged = JSON.stringify(self.shade || []) !== JSON.stringify(d.shade || []);
    self.stem = d.stem; self.beats = d.beats; self.abcText = d.abc; self.shade = d.shade;
    st.options = d.options || {}; st.url = d.render_url;
    v.abc.style.display = d.editable ? "" : "none";
    v.abcLabel.style.display = d.editable ? "" : "none";
    v.abc.readOnly = !d.editable;
    const newText = st.revision !== d.revision || st.pythonAbc === null;
    if (newText || (document.activeElement !== v.abc && v.abc.value === st.pythonAbc)) {
      v.abc.value = d.abc;
    }
    st.revision = d.revision; st.pythonAbc = d.abc;
    if (d.key !== st.key || newText || shadeChanged) {
      if (v.abc.value === d.abc || !d.editable) showRender(d);
    }
    st.width = narrowWidth();
    if (st.width && d.svg && st.narrowFor !== d.key) {
      st.narrowFor = d.key;
      renderText(v.abc.value || d.abc, !v.abc.value || v.abc.value === d.abc);
    }
  };
  return self;
}

// space plays and pauses the player last used (or the first one), unless typing in a field
document.addEventListener("keydown", (ev) => {
  if (ev.code !== "Space" && ev.key !== " ") return;
  const t = ev.target;
  const tag = t && t.tagName ? t.tagName.toLowerCase() : "";
  if (tag === "textarea" || tag === "input" || tag === "select" || (t && t.isContentEditable)) return;
  if (tag === "button" || tag === "a") return;  // a focused control: space is its own click
  const live = [...players].filter((p) => document.body.contains(p.root || document.body));
  const p = lastUsed && players.has(lastUsed) ? lastUsed : live[0];
  if (!p) return;
  ev.preventDefault();
  p.toggle();
});
