// What a loaded model opens on: the whole graph when it fits at a readable zoom, else its top (the
// input end) at that zoom, as a reader starts a long network: fitting 50 layers into the canvas
// would draw nodes too small to read or to wire. Computed from the layout, not from measured nodes:
// the canvas draws (and measures) only the nodes in view.
import type { Viewport } from "@xyflow/react";
import type { Point } from "./layout";
import { NODE_HEIGHT, NODE_WIDTH } from "./types";

export const FIT = { padding: 0.1, maxZoom: 1.1 };
const READABLE_ZOOM = 0.8; // node text at 12 px * 0.8: still read at a glance
const TOOLBAR_PX = 40; // the toolbar floats over the canvas's top
const MARGIN_PX = 24;

export function openingViewport(positions: Point[], pane: { width: number; height: number }): Viewport {
  if (positions.length === 0) return { x: 0, y: 0, zoom: 1 };
  const left = Math.min(...positions.map((p) => p.x));
  const right = Math.max(...positions.map((p) => p.x)) + NODE_WIDTH;
  const top = Math.min(...positions.map((p) => p.y));
  const bottom = Math.max(...positions.map((p) => p.y)) + NODE_HEIGHT;
  const usable = { width: pane.width - 2 * MARGIN_PX, height: pane.height - TOOLBAR_PX - 2 * MARGIN_PX };
  const fitting = Math.min(usable.width / (right - left), usable.height / (bottom - top));
  const zoom = Math.min(FIT.maxZoom, Math.max(READABLE_ZOOM, fitting));
  const x = pane.width / 2 - ((left + right) / 2) * zoom;
  const y = fitting >= READABLE_ZOOM
    ? TOOLBAR_PX + MARGIN_PX + usable.height / 2 - ((top + bottom) / 2) * zoom
    : TOOLBAR_PX + MARGIN_PX - top * zoom;
  return { x, y, zoom };
}
