// The live view of a training run, drawn in the page from `api/live/<run>?since=N` every couple of seconds:
// the run's head (progress, tiles) and the curve points this tab has not seen yet, which it adds to the
// chart skeletons of the first answer. A poll costs the server microseconds instead of a Streamlit rerun.
// Data from Python: {url, plotly, status, sample_step, interval_ms}. The component asks Python for a rerun of
// the fragment it is in when a new sampled tune appears (trigger "sample") and when the run's status changes
// (trigger "status", for a rerun of the page). Under the curves, the surprise strip: the newest bits of every
// character of one fixed validation tune (`head.surprise`), drawn with `shading.js`, which the Python side puts
// before this file.

const CSS = `.mr-live { width: 100%; font-family: inherit; }
.mr-progress-text { font-size: 0.875rem; margin-bottom: 0.25rem; }
.mr-bar { height: 0.5rem; border-radius: 0.25rem; background: rgba(151, 166, 195, 0.25); overflow: hidden; }
.mr-fill { height: 100%; width: 0; background: var(--st-primary-color, #2a7ab0); transition: width 0.4s; }
.mr-tiles { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
.mr-tile { flex: 1 1 8rem; min-width: 8rem; }
.mr-tile-label { font-size: 0.875rem; opacity: 0.8; }
.mr-tile-value { font-size: 2.25rem; line-height: 1.3; }
.mr-charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.mr-chart { flex: 1 1 24rem; min-width: 20rem; height: 320px; }
.mr-caption { font-size: 0.875rem; opacity: 0.7; margin-top: 0.5rem; }
.mr-error { font-size: 0.875rem; color: #e4572e; }
.mr-strip { margin-top: 1rem; }
.mr-strip-title { font-size: 0.875rem; font-weight: 600; margin-bottom: 0.25rem; }
`;
const STRIP_SCALE = 8;  // bits drawn darkest, as on the Inside page

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__musicrnnPlotly) {
    window.__musicrnnPlotly = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => { window.__musicrnnPlotly = null; reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }
  return window.__musicrnnPlotly;
}

function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

function build(root) {
  const r = el("div", "mr-live", root);
  el("style", null, r).textContent = CSS + SHADE_CSS;
  const prog = el("div", "mr-progress", r);
  const text = el("div", "mr-progress-text", prog);
  const fill = el("div", "mr-fill", el("div", "mr-bar", prog));
  const tiles = el("div", "mr-tiles", r);
  const charts = el("div", "mr-charts", r);
  const loss = el("div", "mr-chart", charts);
  const acc = el("div", "mr-chart", charts);
  const strip = el("div", "mr-strip", r);
  strip.setAttribute("data-testid", "musicrnn-surprise-strip");
  strip.style.display = "none";
  const stripTitle = el("div", "mr-strip-title", strip);
  const stripText = el("div", null, strip);
  const stripLegend = el("div", null, strip);
  const caption = el("div", "mr-caption", r);
  const error = el("div", "mr-error", r);
  return { r, text, fill, tiles, loss, acc, strip, stripTitle, stripText, stripLegend, caption, error };
}

// The newest surprise strip, redrawn only when a validation wrote a newer one.
function drawStrip(view, state, strip) {
  if (!strip) { view.strip.style.display = "none"; return; }
  if (state.stripStep === strip.step && view.strip.style.display !== "none") return;
  state.stripStep = strip.step;
  const bits = strip.bits || [];
  const mean = bits.length ? bits.reduce((a, b) => a + b, 0) / bits.length : 0;
  view.strip.style.display = "";
  view.stripTitle.textContent = "What the network finds surprising in a validation tune (darker = more bits), step "
    + strip.step.toLocaleString("en-US") + " · " + mean.toFixed(2) + " bits per character";
  const spec = { text: strip.text, values: bits.slice(0, -1), end: bits.length ? bits[bits.length - 1] : null,
                 scale: STRIP_SCALE, unit: "bits" };
  drawShaded(view.stripText, spec);
  drawLegend(view.stripLegend, spec);
}

function drawTiles(box, tiles) {
  while (box.children.length < tiles.length) {
    const t = el("div", "mr-tile", box);
    el("div", "mr-tile-label", t);
    el("div", "mr-tile-value", t);
  }
  tiles.forEach((tile, i) => {
    const t = box.children[i];
    t.children[0].textContent = tile.label;
    t.children[1].textContent = tile.value;
    t.title = tile.help || "";
  });
}

// Close to Streamlit's own theme for plotly charts, so that the live and the still view of a run look alike.
function themed(layout, font) {
  const grey = "rgba(49, 51, 63, 0.6)", grid = "rgba(151, 166, 195, 0.25)";
  const axis = (a) => Object.assign({ automargin: true, gridcolor: grid, zeroline: false, showline: false,
    tickfont: { color: grey } }, a, { title: Object.assign({}, a && a.title, { font: { color: grey, size: 13 } }) });
  return Object.assign({}, layout, {
    font: { family: font, size: 13, color: "rgb(49, 51, 63)" },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    title: Object.assign({}, layout.title, { x: 0, xanchor: "left", xref: "container", pad: { l: 4 },
      font: { size: 15, weight: 600 } }),
    xaxis: axis(layout.xaxis), yaxis: axis(layout.yaxis),
    legend: Object.assign({}, layout.legend, { x: 1, xanchor: "right" }),
  });
}

function thinned(xs, ys, limit) {
  if (xs.length <= limit) return [xs, ys];
  const ox = [], oy = [];
  let last = -1;
  for (let i = 0; i < limit; i++) {
    const j = Math.round(i * (xs.length - 1) / (limit - 1));
    if (j !== last) { ox.push(xs[j]); oy.push(ys[j]); last = j; }
  }
  return [ox, oy];
}

function traces(chart, points) {
  return chart.figure.data.map((trace, i) => {
    const [kind, key] = chart.series[i];
    const xs = [], ys = [];
    for (const p of points) {
      if (p.kind === kind && p[key] !== undefined && p[key] !== null) { xs.push(p.step); ys.push(p[key]); }
    }
    const [x, y] = thinned(xs, ys, chart.max_points);
    return Object.assign({}, trace, { x, y });
  });
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const host = parentElement;
  if (host.__musicrnnStop) host.__musicrnnStop();  // new data for the same element: one poller at a time
  // what this tab has fetched, kept across new data (a rerun of the fragment) so that it is not fetched again
  let view = host.__musicrnnView, state = host.__musicrnnState;
  if (!view || !view.r.isConnected || !state) {
    if (view) view.r.remove();
    view = host.__musicrnnView = build(host);
    state = host.__musicrnnState = { points: [], charts: null, etag: null };
  }
  const plotly = loadPlotly(data.plotly);
  const config = { displayModeBar: false, responsive: true };
  let stopped = false, timer = null, asked = false;

  async function draw(top) {
    view.text.textContent = top.progress;
    view.fill.style.width = (100 * top.fraction).toFixed(2) + "%";
    drawTiles(view.tiles, top.tiles);
    view.caption.textContent = top.caption;
    drawStrip(view, state, top.surprise);
    if (!state.charts) return;
    const Plotly = await plotly;
    const font = getComputedStyle(view.r).fontFamily;
    const [loss, acc] = state.charts;
    await Plotly.react(view.loss, traces(loss, state.points), themed(loss.figure.layout, font), config);
    await Plotly.react(view.acc, traces(acc, state.points), themed(acc.figure.layout, font), config);
  }

  async function tick() {
    if (stopped) return;
    if (!document.hidden) {
      try {
        const n = state.points.length;
        const url = data.url + "?since=" + n + (n ? "&step=" + state.points[n - 1].step : "");
        const r = await fetch(url, { cache: "no-store", headers: state.etag ? { "If-None-Match": state.etag } : {} });
        if (r.status === 200) {
          const doc = await r.json();
          if (stopped) return;
          state.etag = r.headers.get("ETag");
          if (doc.charts) state.charts = doc.charts;
          state.points = doc.since === 0 ? doc.points : state.points.concat(doc.points);
          view.error.textContent = "";
          await draw(doc.head);
          if (!asked && doc.head.status !== data.status) { asked = true; setTriggerValue("status", doc.head.status); }
          else if (!asked && doc.head.sample_step !== data.sample_step) {
            asked = true;
            setTriggerValue("sample", doc.head.sample_step);
          }
        } else if (r.status !== 304) {
          view.error.textContent = "The live view is not available (HTTP " + r.status + ").";
        }
      } catch (e) {
        // the server is restarting or the network dropped: the next tick tries again
        view.error.textContent = "Reconnecting to the server…";
      }
    }
    if (!stopped) timer = setTimeout(tick, data.interval_ms);
  }

  host.__musicrnnStop = () => { stopped = true; clearTimeout(timer); };
  tick();
  return () => host.__musicrnnStop && host.__musicrnnStop();
}
