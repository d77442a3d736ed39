// A tune's text with each character shaded by a value (its surprisal in bits, or a unit's activation), and the
// colour scale under it; a click on a character hands its index to Python (trigger "pick"). The drawing is
// `shading.js`, which the Python side puts before this file.
// Data from Python: {text, values, end, scale, signed, unit, legend, selected, pickable}.

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const host = parentElement;
  let view = host.__musicrnnShaded;
  if (!view || !view.root.isConnected) {
    if (view) view.root.remove();
    const root = document.createElement("div");
    root.setAttribute("data-testid", "musicrnn-shaded-text");
    const style = document.createElement("style");
    style.textContent = SHADE_CSS + ".mr-shaded-box { max-height: 30rem; overflow: auto; padding: 0.25rem 0; }";
    const text = document.createElement("div");
    const box = document.createElement("div");
    box.className = "mr-shaded-box";
    box.appendChild(text);
    const legend = document.createElement("div");
    root.append(style, box, legend);
    host.appendChild(root);
    view = host.__musicrnnShaded = { root, text, legend };
  }
  drawShaded(view.text, Object.assign({}, data, {
    onPick: data.pickable ? (i) => setTriggerValue("pick", i) : null,
  }));
  drawLegend(view.legend, data);
  view.root.setAttribute("data-chars", String(Array.from(data.text || "").length));
}
