// Characters shaded by a value: the Inside page's shaded text (`shaded_text.js`) and the Train page's surprise
// strip (`live_panel.js`) both start with this file (the Python side joins them). Each character is one <span>
// whose text is set with textContent, so tune text never becomes markup, and whose background comes from its
// value: bits on a scale from 0 (clear) to `scale` (dark), or a signed value from blue through clear to red.

const SHADE_CSS = `.mr-shaded { font-family: "Source Code Pro", ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: 0.9rem; line-height: 1.75; white-space: pre-wrap; word-break: break-all; color: rgb(49, 51, 63); }
.mr-shaded span { border-radius: 2px; padding: 0.05rem 0; }
.mr-shaded.mr-pickable span { cursor: pointer; }
.mr-shaded .mr-nl, .mr-shaded .mr-end { font-size: 0.75rem; opacity: 0.85; }
.mr-shaded .mr-unread { text-decoration: underline dotted; opacity: 0.6; }
.mr-shaded .mr-picked { outline: 2px solid rgb(49, 51, 63); outline-offset: 1px; }
.mr-legend { display: flex; align-items: center; gap: 0.5rem; font-size: 0.8rem; opacity: 0.8; margin-top: 0.4rem; }
.mr-legend-bar { width: 10rem; height: 0.7rem; border-radius: 0.2rem; border: 1px solid rgba(49, 51, 63, 0.2); }
`;

const SHADE_HOT = [214, 51, 108];  // the player shades the score's notes in the same colour
const SHADE_COLD = [42, 122, 176];
const SHADE_NAMES = { "\n": "newline", " ": "space", "\t": "tab" };

// [background, text colour] of a value.
function shadeColor(v, scale, signed) {
  if (v === null || v === undefined || !isFinite(v)) return ["transparent", ""];
  const a = Math.max(-1, Math.min(1, v / (scale || 1)));
  const rgb = signed && a < 0 ? SHADE_COLD : SHADE_HOT;
  const alpha = signed ? Math.abs(a) : Math.max(0, a);
  return ["rgba(" + rgb.join(", ") + ", " + alpha.toFixed(3) + ")", alpha > 0.6 ? "#fff" : ""];
}

function shadeFormat(v) {
  return Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

// Draw `spec.text` into `box`: {text, values (one per character, null where none), end (the end token's value,
// or null for none), scale, signed, unit, selected (a character's index, or text length for the end token),
// onPick(index) when a click picks a character}.
function drawShaded(box, spec) {
  box.textContent = "";
  box.className = "mr-shaded" + (spec.onPick ? " mr-pickable" : "");
  const chars = Array.from(spec.text || "");  // code points, as Python indexes a str
  const values = spec.values || [];
  const unit = spec.unit || "";
  const all = chars.concat(spec.end === null || spec.end === undefined ? [] : [null]);
  all.forEach((ch, i) => {
    const isEnd = i === chars.length;
    const v = isEnd ? spec.end : values[i];
    const s = document.createElement("span");
    s.dataset.i = String(i);
    if (isEnd) { s.className = "mr-end"; s.textContent = "⟨end⟩"; }
    else if (ch === "\n") { s.className = "mr-nl"; s.textContent = "↵"; }
    else if (ch === "\t") s.textContent = "⇥";
    else s.textContent = ch;
    const [bg, fg] = shadeColor(v, spec.scale, spec.signed);
    s.style.background = bg;
    if (fg) s.style.color = fg;
    const name = isEnd ? "end of the tune" : (SHADE_NAMES[ch] || ch);
    if (v === null || v === undefined) {
      if (!isEnd) { s.classList.add("mr-unread"); s.title = name + " · not in the model's vocabulary (left out)"; }
    } else s.title = name + " · " + shadeFormat(v) + (unit ? " " + unit : "");
    if (i === spec.selected) s.classList.add("mr-picked");
    box.appendChild(s);
    if (ch === "\n" && !isEnd) box.appendChild(document.createTextNode("\n"));
  });
  if (spec.onPick) {
    box.onclick = (ev) => {
      const t = ev.target && ev.target.closest ? ev.target.closest("span[data-i]") : null;
      if (t && box.contains(t)) spec.onPick(Number(t.dataset.i));
    };
  } else box.onclick = null;
}

// The colour scale under a shaded text: "0 ▭ 8+ bits", or "−2 ▭ +2" for a signed value.
function drawLegend(box, spec) {
  box.textContent = "";
  box.className = "mr-legend";
  const low = document.createElement("span");
  const bar = document.createElement("span");
  const high = document.createElement("span");
  const hot = "rgba(" + SHADE_HOT.join(", ") + ", 1)", clear = "rgba(" + SHADE_HOT.join(", ") + ", 0)";
  bar.className = "mr-legend-bar";
  const scale = Number.isInteger(spec.scale) ? String(spec.scale) : shadeFormat(spec.scale || 1);
  if (spec.signed) {
    bar.style.background = "linear-gradient(to right, rgba(" + SHADE_COLD.join(", ") + ", 1), " + clear + ", " + hot + ")";
    low.textContent = "−" + scale;
    high.textContent = "+" + scale + (spec.unit ? " " + spec.unit : "");
  } else {
    bar.style.background = "linear-gradient(to right, " + clear + ", " + hot + ")";
    low.textContent = "0";
    high.textContent = scale + "+ " + (spec.unit || "");
  }
  box.append(low, bar, high);
  if (spec.legend) {
    const note = document.createElement("span");
    note.textContent = spec.legend;
    box.appendChild(note);
  }
}
