// The Copy-link button: the link is sent with each render, copied on a click, and the button says
// so for a moment. The clipboard API may be refused inside a frame; a selected text area is the
// fallback that browsers allow on a click.
let link = "";
const button = document.getElementById("copy");
const label = button.querySelector("span");
const LABEL = label.textContent;

function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

function fallbackCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  return copied;
}

function said(text, ok) {
  label.textContent = text;
  button.classList.toggle("done", ok);
  setTimeout(() => { label.textContent = LABEL; button.classList.remove("done"); }, 2000);
}

button.addEventListener("click", async () => {
  let copied = false;
  try {
    await navigator.clipboard.writeText(link);
    copied = true;
  } catch (error) {
    copied = fallbackCopy(link);
  }
  said(copied ? "✓ Link copied" : "Copy failed: use Download", copied);
  button.dataset.copied = copied ? link : "";
});

window.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "streamlit:render") return;
  link = event.data.args.link || "";
  const theme = event.data.theme;
  if (theme) document.body.style.color = theme.textColor;
});
post("streamlit:componentReady", { apiVersion: 1 });
post("streamlit:setFrameHeight", { height: 40 });
