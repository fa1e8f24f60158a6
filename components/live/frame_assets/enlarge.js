// A click on a small picture shows it large over the frame: any heatmap trace whose `meta` is
// {enlarge: {title}} (the neurons of the network picture and the model diagram's thumbnails are a few
// dozen pixels wide). A click anywhere or Escape closes it. Needs only the global Plotly.
//
// enableEnlarge(plotDiv): call after each Plotly.react on plotDiv; the handler is attached once.

(function () {
  const SIZE = 320;  // px: the enlarged picture's side
  const handlers = new WeakMap();  // plot div -> its click handler
  let open = null;  // the overlay on show: { backdrop, plot }

  function close() {
    if (!open) return;
    Plotly.purge(open.plot);
    open.backdrop.remove();
    open = null;
    document.removeEventListener("keydown", onKey);
  }

  function onKey(event) {
    if (event.key === "Escape") close();
  }

  // The frame's colours, as the chart was drawn with them (the page's light or dark theme)
  function colours(plotDiv) {
    const layout = plotDiv._fullLayout || {};
    return { background: layout.paper_bgcolor || "#ffffff", text: (layout.font && layout.font.color) || "#31333f" };
  }

  function show(plotDiv, trace, title, clientY) {
    close();
    const { background, text } = colours(plotDiv);
    const backdrop = document.createElement("div");
    backdrop.className = "enlarge-backdrop";
    Object.assign(backdrop.style, { position: "fixed", inset: "0", background: "rgba(0, 0, 0, 0.35)", zIndex: "1000",
                                    cursor: "zoom-out" });
    const box = document.createElement("div");
    box.className = "enlarge-box";
    // Beside the click: the frame is as tall as its charts, so its middle may be off the screen
    const top = Math.max(4, Math.min(clientY - SIZE / 2 - 20, window.innerHeight - SIZE - 48));
    Object.assign(box.style, { position: "absolute", top: `${top}px`, left: "50%", transform: "translateX(-50%)",
                               background, color: text, padding: "8px", borderRadius: "6px",
                               boxShadow: "0 4px 18px rgba(0, 0, 0, 0.3)" });
    const heading = document.createElement("div");
    heading.className = "enlarge-title";
    heading.textContent = title;
    Object.assign(heading.style, { fontSize: "14px", marginBottom: "4px", textAlign: "center" });
    const plot = document.createElement("div");
    box.append(heading, plot);
    backdrop.append(box);
    document.body.append(backdrop);
    const heat = { type: "heatmap", z: trace.data.z, zmin: trace.data.zmin, zmax: trace.data.zmax,
                   colorscale: trace.fullData.colorscale, showscale: false, hoverinfo: "skip" };
    const layout = { width: SIZE, height: SIZE, margin: { l: 0, r: 0, t: 0, b: 0 }, paper_bgcolor: background,
                     plot_bgcolor: background, xaxis: { visible: false, constrain: "domain" },
                     yaxis: { visible: false, scaleanchor: "x", constrain: "domain" } };
    Plotly.newPlot(plot, [heat], layout, { staticPlot: true, displayModeBar: false });
    backdrop.addEventListener("click", close);
    document.addEventListener("keydown", onKey);
    open = { backdrop, plot };
  }

  window.enableEnlarge = function (plotDiv) {
    let handler = handlers.get(plotDiv);
    if (!handler) {
      handler = (event) => {
        const point = event && event.points && event.points[0];
        const meta = point && point.data && point.data.meta;
        if (!meta || !meta.enlarge) return;
        show(plotDiv, point, meta.enlarge.title || "", event.event ? event.event.clientY : window.innerHeight / 2);
      };
      handlers.set(plotDiv, handler);
    }
    // Plotly.purge drops a div's listeners: removing then adding keeps exactly one either way
    if (plotDiv.removeListener) plotDiv.removeListener("plotly_click", handler);
    if (plotDiv.on) plotDiv.on("plotly_click", handler);
  };
})();
