// The run's numbers and loss curve. Each run of the page sends a reading, and newer ones come from
// the live feed's route between runs (no run of the page for them), now and then with the charts.
// Readings carry the server's time: whichever way one came, an older one is ignored.

const curve = { plot: null, figure: null };
let lastStamp = 0;  // server time of the reading shown
let feed = null;  // the live feed's path
let feedBroken = false;  // no route here (it answered 404 or 5xx): the page's runs carry the numbers
let source = null;  // its EventSource

// Shows `reading` unless a newer one is shown; says whether it did
function showReading(reading) {
  if (!reading || reading.stamp <= lastStamp) return false;
  lastStamp = reading.stamp;
  const box = document.getElementById("reading");
  box.hidden = false;
  const numbers = box.querySelector(".numbers");
  numbers.replaceChildren(...reading.numbers.map(([label, value]) => {
    const item = document.createElement("div");
    item.className = "number";
    item.dataset.number = label;
    item.innerHTML = '<div class="label"></div><div class="value"></div>';
    item.firstChild.textContent = label;
    item.lastChild.textContent = value;
    return item;
  }));
  box.querySelector(".speed").textContent = reading.caption;
  if (reading.curve) {
    curve.plot = curve.plot || box.querySelector(".curve");
    try {
      take(curve, reading.curve);
      draw(curve);
    } catch (error) {
      console.error("loss curve:", error);
    }
  }
  return true;
}

function redrawCurve() {
  if (curve.figure) draw(curve);
}

// The live feed streams readings (server-sent events): each beat while training, at once on news
function followFeed(path) {
  if (path === feed || feedBroken) return;
  if (source) source.close();
  feed = path;
  source = null;
  if (!feed) return;
  source = new EventSource(new URL(feed, window.location.origin));
  source.onmessage = (event) => {
    const reading = JSON.parse(event.data);
    if (showReading(reading)) {
      if (reading.charts) render(reading.charts);
      followState(reading);
    }
  };
  source.onerror = () => {
    // a refused stream (no route here, or a closed tab's token) is not retried: the page's runs
    // carry the numbers; a dropped one reconnects by itself
    if (source.readyState === EventSource.CLOSED) feedBroken = true;
  };
}
