// Waits for Streamlit's first render message, then draws the editor with its args and theme.
import { useEffect, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { Editor } from "./Editor";
import { announceReady, onRender, sendEvent, setFrameHeight } from "./protocol";
import type { Render } from "./protocol";
import { applyTheme, isDark } from "./theme";
import type { Args } from "./types";

const DEFAULT_HEIGHT = 560;

// Missing fields become empty ones, so a partial args object still draws.
function complete(args: Partial<Args>): Args {
  return {
    nodes: args.nodes ?? [],
    edges: args.edges ?? [],
    layout: args.layout ?? {},
    palette: args.palette ?? [],
    schemas: args.schemas ?? {},
    notice: args.notice ?? null,
    height: args.height ?? DEFAULT_HEIGHT,
    selected: args.selected ?? null,
    follow: args.follow ?? null,
  };
}

export function App() {
  const [render, setRender] = useState<Render | null>(null);

  useEffect(() => {
    const stop = onRender((r) => setRender({ args: complete(r.args), theme: r.theme }));
    announceReady(); // only once listening, so the first render is not missed
    return stop;
  }, []);

  const themeJson = JSON.stringify(render?.theme ?? null);
  useEffect(() => applyTheme(render?.theme), [themeJson]); // eslint-disable-line react-hooks/exhaustive-deps

  const height = render?.args.height;
  useEffect(() => {
    if (height) setFrameHeight(height);
  }, [height]);

  // Python draws an edit here first, then the whole page when asked: ask once the edit is drawn.
  const follow = render?.args.follow ?? null;
  useEffect(() => {
    if (follow !== null) sendEvent({ op: "sync" });
  }, [follow]);

  if (!render) return null;
  return (
    <ReactFlowProvider>
      <Editor args={render.args} dark={isDark(render.theme)} />
    </ReactFlowProvider>
  );
}
