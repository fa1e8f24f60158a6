// Streamlit's component protocol (v1) spoken directly over postMessage, without streamlit-component-lib.
import type { Args, EditEvent, Theme } from "./types";

export type Render = { args: Args; theme: Theme | undefined };

function post(message: Record<string, unknown>): void {
  window.parent.postMessage({ isStreamlitMessage: true, ...message }, "*");
}

export function announceReady(): void {
  post({ type: "streamlit:componentReady", apiVersion: 1 });
}

export function setFrameHeight(height: number): void {
  post({ type: "streamlit:setFrameHeight", height });
}

// Starts at the load time so a reloaded frame never repeats a seq an earlier frame already sent.
let seq = Date.now();

export function sendEvent(event: EditEvent): void {
  seq += 1;
  post({ type: "streamlit:setComponentValue", value: { ...event, seq }, dataType: "json" });
}

export function onRender(listener: (render: Render) => void): () => void {
  const handle = (event: MessageEvent) => {
    const data = event.data;
    if (data && data.type === "streamlit:render" && data.args) listener({ args: data.args, theme: data.theme });
  };
  window.addEventListener("message", handle);
  return () => window.removeEventListener("message", handle);
}
