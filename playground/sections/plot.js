// One Plotly chart that stays on the page across reruns (playground/sections/plot.py mounts it, keyed,
// with isolate_styles=False: plotly.js puts its CSS in the document's head, which a shadow root would
// not see). Streamlit calls this again with the same parentElement and new data on every rerun and on a
// theme switch; the graph div is kept and redrawn with Plotly.react (data, layout, config and frames).
// __PLOTLY_CHUNK__ is replaced by plot.py: Streamlit's own plotly.js bundle, which sets window.Plotly.

const CHUNK = __PLOTLY_CHUNK__;
const charts = new WeakMap(); // parentElement -> {gd, bytes, figure, theme, themeKey, drawnWidth, ...}

function plotly() {
  // Resolved next to Streamlit's entry script, so any base path (Community Cloud's /~/+/) works.
  if (!window.__playgroundPlotly) {
    const entry = Array.from(document.scripts).find((s) => /\/static\/js\/index\.[^/]+\.js$/.test(s.src));
    const url = new URL(CHUNK, entry ? entry.src : new URL("static/js/", document.baseURI)).href;
    window.__playgroundPlotly = import(url).then(() => window.Plotly);
  }
  return window.__playgroundPlotly;
}

// Streamlit's Plotly theme (frontend PlotlyChart/CustomTheme.tsx in 1.67), from the theme's CSS variables, but for
// one colour: its faded text on a light background (ticks, axis titles) is #808495, 3.7:1 on white, and text needs
// 4.5:1 (WCAG 2.1 AA); FADED_ON_LIGHT is 5.4:1.
const GRAY = { 10: "#fafafa", 30: "#e6eaf1", 70: "#808495", 85: "#31333F", 90: "#262730" };
const FADED_ON_LIGHT = "#66697a";

function luminance(color) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.fillStyle = color;
  const hex = ctx.fillStyle; // normalised to #rrggbb for opaque colours
  if (!/^#[0-9a-f]{6}$/i.test(hex)) return 1;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function readTheme(element) {
  const style = getComputedStyle(element);
  const css = (name) => style.getPropertyValue(`--st-${name}`).trim();
  const family = (name) => css(name).split(",").map((f) => f.trim()).join(", "); // as the theme spells it
  return {
    bg: css("background-color"), text: css("text-color"), heading: css("heading-color"),
    border: css("border-color"), font: family("font"), headingFont: family("heading-font"),
    weight: css("base-font-weight"), rem: parseFloat(getComputedStyle(document.documentElement).fontSize) || 16,
  };
}

function themeLayout(t) {
  const light = luminance(t.bg) > 0.5;
  const faded = light ? FADED_ON_LIGHT : GRAY[30], legend = light ? GRAY[90] : GRAY[10];
  const grid = light ? GRAY[30] : GRAY[85];
  const px = (rem) => rem * t.rem, small = px(0.75), medium = px(0.875);
  const ticks = { color: faded, size: small }, axisTitle = { font: { color: faded, size: medium } };
  return {
    font: { color: faded, family: t.font, size: small, weight: Number(t.weight) || t.weight },
    title: { color: t.heading, subtitleColor: t.text, font: { family: t.headingFont, size: px(1), color: t.heading },
             pad: { l: px(0.25) }, xanchor: "left", x: 0 },
    legend: { title: { font: { size: small, color: faded }, side: "top" }, valign: "top", bordercolor: "transparent",
              borderwidth: 0, font: { size: small, color: legend } },
    paper_bgcolor: t.bg, plot_bgcolor: t.bg,
    yaxis: { ticklabelposition: "outside", zerolinecolor: grid, title: { ...axisTitle, standoff: px(1.5) },
             tickcolor: grid, tickfont: ticks, gridcolor: grid, minor: { gridcolor: grid }, automargin: true },
    xaxis: { zerolinecolor: grid, gridcolor: grid, showgrid: false, tickfont: ticks, tickcolor: grid,
             title: { ...axisTitle, standoff: px(1.25) }, minor: { gridcolor: grid }, zeroline: false, automargin: true,
             rangeselector: { bgcolor: t.bg, bordercolor: grid, borderwidth: 1, x: 0 } },
    margin: { pad: px(0.5), r: 0, l: 0 },
    hoverlabel: { bgcolor: t.bg, bordercolor: t.border, font: { color: faded, family: t.font, size: small } },
    coloraxis: { colorbar: { thickness: 16, xpad: px(1.5), ticklabelposition: "outside", outlinecolor: "transparent",
                             outlinewidth: 8, len: 0.75, y: 0.5745, title: axisTitle, tickfont: ticks } },
  };
}

// `target` with `changes` laid over it, neither changed: objects key by key, arrays item by item (an empty change
// leaves its item), else replaced
// (playground/charts/panels.py's overlay: the stacked arrangement of a figure's panels is laid over it this way).
function overlay(target, changes) {
  const empty = changes && typeof changes === "object" && !Array.isArray(changes) && !Object.keys(changes).length;
  if (empty) return target;
  if (Array.isArray(target) && Array.isArray(changes)) {
    return target.map((item, i) => (i < changes.length ? overlay(item, changes[i]) : item));
  }
  if (target && changes && typeof target === "object" && typeof changes === "object" && !Array.isArray(changes)) {
    const out = { ...target };
    for (const [k, v] of Object.entries(changes)) out[k] = overlay(target[k], v);
    return out;
  }
  return changes;
}

function merge(target, source) {
  for (const [k, v] of Object.entries(source)) {
    const both = v && typeof v === "object" && !Array.isArray(v) && target[k] && typeof target[k] === "object";
    target[k] = both ? merge(target[k], v) : v;
  }
  return target;
}

const FULLSCREEN = { width: 24, height: 24, path: "M7 14H5v5h5v-2H7v-3zm-2-4h2V7h3V5H5v5zm12 7h-3v2h5v-5h-2v3zM14 5v2h3v3h2V5h-5z" };
const MIN_WIDTH = 300; // a chart whose box has no width yet (a tab being opened) is drawn this wide meanwhile
const MODEBAR_FROM_PX = 600; // a narrower chart (a phone) has no mode bar: it would lie over the legend or the title
const CONFIG = {
  displaylogo: false, scrollZoom: false, showSendToCloud: false,
  modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud", "zoomIn2d", "zoomOut2d", "autoScale2d"],
  modeBarButtonsToAdd: [{ name: "Fullscreen", title: "Fullscreen", icon: FULLSCREEN,
    click: (gd) => (document.fullscreenElement ? document.exitFullscreen() : gd.requestFullscreen()) }],
};

// The viewer's zoom, pan, turn of a 3-D view and hidden legend entries survive a rerun (plotly.js's
// uirevision) while the axes show the same things (titles, types); a 2-D axis's zoom also ends when the
// figure sets a different range for it, as a whole: plotly.js alone would keep a zoomed bound whose
// figure value stayed and take the other from the new figure.
function keepViewerChanges(layout) {
  const axes = Object.keys(layout).filter((k) => /^([xy]axis|scene)\d*$/.test(k)).sort();
  const shows = (axis) => [axis.title, axis.type];
  if (layout.uirevision === undefined) {
    layout.uirevision = JSON.stringify(axes.map((k) => (k.startsWith("scene")
      ? [k, ...["xaxis", "yaxis", "zaxis"].map((a) => shows(layout[k][a] || {}))] : [k, ...shows(layout[k])])));
  }
  for (const k of axes.filter((k) => !k.startsWith("scene") && layout[k].uirevision === undefined)) {
    layout[k] = { ...layout[k], uirevision: JSON.stringify([layout.uirevision, layout[k].range]) };
  }
}

// What plotly.js gets: the theme as the layout's template (figure values win), a bold title as
// st.plotly_chart shows it, the container's width (the screen's in fullscreen), the panels stacked when the
// width is under the figure's `meta.stack.below_px` (same frames: one animation), the viewer's changes kept.
function styled(chart) {
  const { figure, theme, gd, box } = chart;
  const fullscreen = document.fullscreenElement === gd;
  const width = fullscreen ? window.innerWidth : Math.max(box.clientWidth, MIN_WIDTH);
  const stack = figure.layout.meta && figure.layout.meta.stack;
  const narrow = Boolean(stack) && width < stack.below_px;
  const layout = narrow ? overlay(figure.layout, stack.layout) : { ...figure.layout };
  const data = narrow ? overlay(figure.data, stack.data) : figure.data;
  layout.template = { ...layout.template, layout: merge({ ...(layout.template || {}).layout }, themeLayout(theme)) };
  if (layout.title != null) {
    const title = typeof layout.title === "string" ? { text: layout.title } : layout.title;
    layout.title = { ...title, text: `<b>${title.text ?? ""}</b>` };
  }
  keepViewerChanges(layout);
  wrapTitle(layout, width, theme);
  layout.width = chart.drawnWidth = width;
  layout.height = fullscreen ? window.innerHeight : (layout.height ?? 450);
  gd.style.minHeight = `${layout.height}px`;
  const config = { ...CONFIG, displayModeBar: width >= MODEBAR_FROM_PX ? "hover" : false };
  return { data, layout, frames: figure.frames || [], config };
}

// A title wider than the chart (a phone) goes onto more lines, the legend under it moving down as far.
function wrapTitle(layout, width, theme) {
  const title = layout.title, text = title && title.text;
  if (!text || /<br>/i.test(text)) return;
  const size = (title.font && title.font.size) || theme.rem, canvas = document.createElement("canvas").getContext("2d");
  canvas.font = `bold ${size}px ${theme.headingFont || theme.font || "sans-serif"}`;
  const room = width - 24, plain = (words) => words.join(" ").replace(/<[^>]+>/g, "");
  const lines = [];
  for (const word of text.replace(/^<b>|<\/b>$/g, "").split(" ")) {
    const line = lines[lines.length - 1];
    if (line && canvas.measureText(plain([...line, word])).width <= room) line.push(word);
    else lines.push([word]);
  }
  if (lines.length < 2) return;
  const extra = (lines.length - 1) * size * 1.3, legend = layout.legend;
  const pad = { ...(title.pad || {}), t: ((title.pad || {}).t ?? 0) + extra }; // plotly.js centres the lines' block
  layout.title = { ...title, pad, text: `<b>${lines.map((line) => line.join(" ")).join("<br>")}</b>` };
  if (legend && legend.yref === "container" && legend.yanchor === "top" && layout.height) {
    layout.legend = { ...legend, y: legend.y - extra / layout.height };
  }
  layout.margin = { ...layout.margin, t: ((layout.margin || {}).t ?? 50) + extra };
}

// Play/Pause and the frame slider by keyboard: each a focusable control (Tab) with a name; Enter or Space presses a
// button, the arrow keys, Page Up/Down, Home and End move the slider a frame (ten, the first, the last) as a click on
// its rail would. plotly.js draws them in SVG, without either; its redraws keep these attributes on the same nodes.
const SLIDER_KEYS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };

function label(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value); // no change, no DOM mutation
  }
}

function labelControls(gd) {
  for (const button of gd.querySelectorAll(".updatemenu-button")) {
    label(button, { tabindex: "0", role: "button", "aria-label": /Pause/.test(button.textContent) ? "Pause" : "Play" });
  }
  const slider = gd.querySelector(".slider-container"), full = gd._fullLayout && gd._fullLayout.sliders;
  if (!slider || !full || !full.length) return;
  const steps = full[0].steps || [], active = full[0].active ?? 0;
  label(slider, { tabindex: "0", role: "slider", "aria-label": "Moment shown", "aria-valuemin": "0",
                  "aria-valuemax": String(Math.max(steps.length - 1, 0)), "aria-valuenow": String(active),
                  "aria-valuetext": steps[active] ? steps[active].label : "" });
}

function onControlKey(gd, event) {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const button = target.closest(".updatemenu-button");
  if (button && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    button.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    return;
  }
  const slider = target.closest(".slider-container"), full = gd._fullLayout && gd._fullLayout.sliders;
  if (!slider || !full || !full.length) return;
  const steps = full[0].steps, last = steps.length - 1, active = full[0].active ?? last;
  const to = event.key === "Home" ? 0 : event.key === "End" ? last
    : event.key in SLIDER_KEYS ? Math.min(last, Math.max(0, active + SLIDER_KEYS[event.key])) : null;
  if (to === null) return;
  event.preventDefault();
  stopAnimation(gd);
  window.Plotly.animate(gd, ...steps[to].args).then(() => labelControls(gd), () => {});
}

// A playing animation would go on drawing the old frames over the new figure. Stop its loop as
// Plotly.purge does (st.plotly_chart purged the chart on every rerun): pausing through Plotly.animate
// rejects the Play button's promise, an uncaught error in the page.
function stopAnimation(gd) {
  const t = gd._transitionData;
  if (!t || !t._animationRaf) return;
  window.cancelAnimationFrame(t._animationRaf);
  t._animationRaf = null;
  t._frameQueue = [];
  if (t._interruptCallbacks) t._interruptCallbacks.length = 0;
}

// Annotations named "row" (a diagram's column titles) side by side on a narrow drawing (a projector's short chart
// with its larger text): when two would overlap, all of them get the one smaller font that keeps them apart.
const ROW_GAP_PX = 4;
async function fitRows(Plotly, gd) {
  const notes = (gd._fullLayout.annotations || []).map((note, index) => ({ note, index }))
    .filter(({ note }) => note.name === "row" && note.visible !== false);
  const boxes = notes.map(({ index }) => gd.querySelector(`.annotation[data-index="${index}"]`))
    .map((element) => element && element.getBoundingClientRect());
  if (boxes.length < 2 || boxes.some((box) => !box)) return;
  let shrink = 1;
  for (let i = 1; i < boxes.length; i++) {
    const [a, b] = [boxes[i - 1], boxes[i]], room = (b.left + b.right) / 2 - (a.left + a.right) / 2 - ROW_GAP_PX;
    shrink = Math.min(shrink, room / ((a.width + b.width) / 2));
  }
  if (shrink >= 1) return;
  const changes = {};
  for (const { note, index } of notes) changes[`annotations[${index}].font.size`] = Math.floor(note.font.size * shrink);
  await Plotly.relayout(gd, changes);
}

// Draws the latest figure and theme; calls that arrive while plotly.js loads or draws are merged.
function redraw(chart) {
  chart.dirty = true;
  if (chart.busy) return;
  chart.busy = true;
  plotly()
    .then(async (Plotly) => {
      while (chart.dirty) {
        chart.dirty = false;
        stopAnimation(chart.gd);
        await Plotly.react(chart.gd, styled(chart));
        await fitRows(Plotly, chart.gd);
        labelControls(chart.gd);
      }
      if (!chart.listening) {
        chart.gd.on("plotly_click", openRun);
        for (const event of ["plotly_afterplot", "plotly_animatingframe", "plotly_sliderchange"]) {
          chart.gd.on(event, () => labelControls(chart.gd));
        }
        chart.listening = true;
      }
    })
    .catch((error) => console.error("playground chart:", error))
    .finally(() => { chart.busy = false; });
}

// A point whose customdata is a query string of this page ("?…", e.g. a run on the class board) opens that run
// in a new tab; nothing else is ever opened.
function openRun(event) {
  const link = event && event.points && event.points[0] && event.points[0].customdata;
  if (typeof link === "string" && link.startsWith("?")) window.open(link, "_blank", "noopener");
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function mount(box) {
  const gd = document.createElement("div");
  gd.className = "playground-chart";
  gd.dataset.testid = "playgroundChart";
  box.appendChild(gd);
  const chart = { gd, box };
  const observer = new ResizeObserver(() => {
    if (chart.figure && box.clientWidth && Math.max(box.clientWidth, MIN_WIDTH) !== chart.drawnWidth) redraw(chart);
  });
  observer.observe(box);
  gd.addEventListener("fullscreenchange", () => redraw(chart));
  gd.addEventListener("keydown", (event) => onControlKey(gd, event));
  // Streamlit runs only the last returned cleanup, when the element leaves the page.
  chart.cleanup = () => {
    observer.disconnect();
    charts.delete(box);
    if (window.Plotly) window.Plotly.purge(gd);
    gd.remove();
  };
  charts.set(box, chart);
  return chart;
}

export default function ({ data, parentElement }) {
  const chart = charts.get(parentElement) || mount(parentElement);
  const theme = readTheme(parentElement), themeKey = JSON.stringify(theme);
  const changed = !sameBytes(chart.bytes, data);
  if (changed) {
    chart.bytes = data;
    chart.figure = JSON.parse(new TextDecoder().decode(data));
    if (!chart.drawnWidth) chart.gd.style.minHeight = `${chart.figure.layout.height ?? 450}px`; // while plotly.js loads
  }
  if (changed || themeKey !== chart.themeKey) {
    chart.theme = theme;
    chart.themeKey = themeKey;
    redraw(chart);
  }
  return chart.cleanup;
}
