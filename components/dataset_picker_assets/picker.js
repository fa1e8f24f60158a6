// TensorFlow Playground's dataset thumbnails: each a button with the dataset's points drawn in a
// small square, the current one framed. A click sends the dataset's name to the page.
const grid = document.getElementById("grid");
const SVG = "http://www.w3.org/2000/svg";
let drawn = "";

function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

function thumbnail(cell) {
  const button = document.createElement("button");
  button.type = "button";
  button.title = cell.name;
  button.dataset.testid = `dataset-${cell.name}`;
  button.setAttribute("aria-label", cell.name);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 100 100");
  cell.points.forEach(([x, y], i) => {
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", x);
    dot.setAttribute("cy", 100 - y);  // y grows upwards, as on the charts
    dot.setAttribute("r", 2.6);
    dot.setAttribute("fill", cell.colours[i]);
    svg.append(dot);
  });
  button.append(svg);
  button.addEventListener("click", () => post("streamlit:setComponentValue", { value: cell.name, dataType: "json" }));
  return button;
}

function render(args) {
  const key = JSON.stringify(args.cells.map((c) => c.name));
  if (key !== drawn) {  // the points never change: drawn once, only the frame moves
    grid.replaceChildren(...args.cells.map(thumbnail));
    drawn = key;
  }
  for (const button of grid.children) button.setAttribute("aria-pressed", String(button.title === args.selected));
  post("streamlit:setFrameHeight", { height: Math.ceil(document.body.scrollHeight) });
}

window.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "streamlit:render") return;
  render(event.data.args);
});
new ResizeObserver(() => post("streamlit:setFrameHeight", { height: Math.ceil(document.body.scrollHeight) })).observe(grid);
post("streamlit:componentReady", { apiVersion: 1 });
