// The live charts, drawn with plotly.js in this frame (the numbers and curve: live_reading.js). Each chart
// comes with a version (its content's hash), from the page's runs or from the live feed; a chart is
// drawn again only when its version is new. The boundary's options act here, at once, with no run
// on the server.

const OPTIONS_KEY = "neuroloom-live-options";  // per tab: the options outlive a reload of this frame
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const shown = new Map();  // chart name -> { box, plot, version, figure }
let theme = { backgroundColor: "#ffffff", textColor: "#31333f" };  // the page's, sent with each render
let present = false;  // the presenting view: every chart taller, the type larger
const PRESENT_SCALE = 1.55;
const options = { showTest: false, discrete: false, ...stored() };
let pageState = "";  // the run's state that the page's controls were drawn for
let signalled = "";  // the reading whose state this frame last told the page about

// Storage can be refused (blocked cookies) or hold something else: the options then start off
function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(OPTIONS_KEY) || "{}") || {};
  } catch (error) {
    return {};
  }
}

function store() {
  try {
    sessionStorage.setItem(OPTIONS_KEY, JSON.stringify(options));
  } catch (error) {
    // kept for this frame only
  }
}

// The page's controls follow the run's state: when a reading shows the run paused, ended or
// started while the page still shows the controls of another state, the frame's value changes,
// and that runs the page again (once per reading).
const CONTROLS = { running: "running", waiting: "running" };

function followState(reading) {
  const now = CONTROLS[reading.state] || reading.state;
  if (!pageState || now === (CONTROLS[pageState] || pageState) || signalled === reading.key) return;
  signalled = reading.key;
  post("streamlit:setComponentValue", { value: { state: reading.state, key: reading.key }, dataType: "json" });
}

function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

// A trace's `meta` says how the options change it: {option: "showTest"} shows it only when that
// option is on; {discrete: {...}} holds the attributes it takes when "discretize output" is on.
function withOptions(trace) {
  const meta = trace.meta || {};
  let drawn = trace;
  if (meta.option) drawn = { ...drawn, visible: Boolean(options[meta.option]) };
  if (meta.discrete && options.discrete) drawn = { ...drawn, ...meta.discrete };
  return drawn;
}

// plotly.py sends arrays as {dtype, bdata, shape}. Decoded here, an array that did not change
// since the chart's last figure (the data points under the boundary) is the same object as before,
// so Plotly.react leaves its trace alone instead of drawing it again.
const TYPED = { f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
                u2: Uint16Array, i1: Int8Array, u1: Uint8Array };

function decoded(value, before, now) {
  if (Array.isArray(value)) return value.map((item) => decoded(item, before, now));
  if (!value || typeof value !== "object") return value;
  if (typeof value.bdata === "string" && TYPED[value.dtype]) {
    const key = `${value.dtype}:${value.shape || ""}:${value.bdata}`;
    let array = now.get(key) || before.get(key);
    if (!array) {
      const bytes = Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
      const flat = new TYPED[value.dtype](bytes.buffer);
      const [rows, columns] = String(value.shape || "").split(",").map(Number);
      array = columns ? Array.from({ length: rows }, (_, i) => flat.subarray(i * columns, (i + 1) * columns)) : flat;
    }
    now.set(key, array);
    return array;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decoded(v, before, now)]));
}

function take(entry, figure) {
  const arrays = new Map();
  entry.figure = { data: decoded(figure.data, entry.arrays || new Map(), arrays), layout: figure.layout };
  entry.arrays = arrays;  // only the newest figure's: the cache never grows past one figure
}

function draw(entry) {
  const { data, layout } = entry.figure;
  const font = { ...(layout.font || {}), color: theme.textColor, ...(present ? { size: 17 } : {}) };
  const themed = { ...layout, paper_bgcolor: theme.backgroundColor, plot_bgcolor: theme.backgroundColor, font,
                   ...(present && layout.height ? { height: Math.round(layout.height * PRESENT_SCALE) } : {}) };
  Plotly.react(entry.plot, data.map(withOptions), themed, PLOT_CONFIG).then(() => enableEnlarge(entry.plot));
}

// The page's light or dark theme, for the frame's own colours and every chart's
function follow(pageTheme) {
  if (!pageTheme || (pageTheme.backgroundColor === theme.backgroundColor && pageTheme.textColor === theme.textColor)) return;
  theme = { backgroundColor: pageTheme.backgroundColor, textColor: pageTheme.textColor };
  document.body.style.background = theme.backgroundColor;
  document.body.style.color = theme.textColor;
  for (const entry of shown.values()) if (entry.figure) draw(entry);
  redrawCurve();
}

function checkbox(label, option, entry) {
  const box = document.createElement("label");
  const input = document.createElement("input");
  input.type = "checkbox";
  input.checked = options[option];
  input.addEventListener("change", () => {
    options[option] = input.checked;
    store();
    if (entry.figure) draw(entry);
  });
  box.append(input, label);
  return box;
}

function newEntry(chart) {
  const entry = { box: document.createElement("div"), plot: document.createElement("div"), version: null, figure: null };
  entry.box.dataset.chart = chart.name;
  if (chart.caption) {
    const caption = document.createElement("div");
    caption.className = "caption";
    caption.textContent = chart.caption;
    entry.box.append(caption);
  }
  entry.box.append(entry.plot);
  if (chart.options) {
    const row = document.createElement("div");
    row.className = "options";
    for (const [option, label] of Object.entries(chart.options)) row.append(checkbox(label, option, entry));
    entry.box.append(row);
  }
  return entry;
}

function areaOf(chart) {
  const area = document.querySelector(`[data-area="${chart.place || "output"}"] .charts`);
  return area || document.querySelector('[data-area="output"] .charts');
}

function render(charts) {
  const wanted = new Set(charts.map((chart) => chart.name));
  for (const [name, entry] of shown) {
    if (!wanted.has(name)) {
      Plotly.purge(entry.plot);
      entry.box.remove();
      shown.delete(name);
    }
  }
  const placed = new Map();  // area -> how many charts it holds so far
  charts.forEach((chart) => {
    let entry = shown.get(chart.name);
    if (!entry) {
      entry = newEntry(chart);
      shown.set(chart.name, entry);
    }
    const root = areaOf(chart);
    const index = placed.get(root) || 0;
    placed.set(root, index + 1);
    if (root.children[index] !== entry.box) root.insertBefore(entry.box, root.children[index] || null);
    if (chart.version === entry.version) return;
    if (!chart.figure) return;  // a version this frame never got: the next one comes whole
    try {  // one chart that cannot be drawn must not stop the others
      take(entry, chart.figure);
      draw(entry);
      entry.version = chart.version;
    } catch (error) {
      console.error(`live chart ${chart.name}:`, error);
    }
  });
}

function presenting(on) {
  if (on === present) return;
  present = on;
  document.body.classList.toggle("present", on);
  for (const entry of shown.values()) if (entry.figure) draw(entry);
  redrawCurve();
}

// The browser's run-store id, kept for a year so that its runs are listed for it on later visits.
function keepOwner(owner) {
  if (!owner || !/^[0-9a-f]{16}$/.test(owner) || document.cookie.includes("neuroloom_owner=")) return;
  document.cookie = `neuroloom_owner=${owner}; max-age=31536000; path=/; SameSite=Lax`;
}

window.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const args = event.data.args;
  follow(event.data.theme);
  presenting(Boolean(args.present));
  // no network area: the graph editor beside the frame shows the model
  document.getElementById("layout").classList.toggle("single", args.network === false);
  document.getElementById("network").hidden = args.network === false;
  pageState = args.state || "";
  keepOwner(args.owner);
  // Streamlit sends a page run's arguments again (a resize, a theme): charts the feed has sent
  // since are newer, so a page run's charts count only with its reading, which is stamped
  const fresh = showReading(args.reading);
  followFeed(args.feed || null);
  if (fresh || !shown.size) render(args.charts || []);
});
new ResizeObserver(() => post("streamlit:setFrameHeight", { height: document.body.scrollHeight }))
  .observe(document.body);
post("streamlit:componentReady", { apiVersion: 1 });
