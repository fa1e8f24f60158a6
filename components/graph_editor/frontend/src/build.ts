// Args + layout -> React Flow's nodes and edges. Pure, so the editor's effects stay short.
// No arrowheads: the ports already say which way a wire runs.
import type { LayerFlowNode } from "./LayerNode";
import type { ShapeFlowEdge } from "./ShapeEdge";
import type { Layout, Point } from "./layout";
import { edgeId } from "./layout";
import { Position } from "@xyflow/react";
import type { NodeHandle } from "@xyflow/react";
import type { Args, NodeInfo } from "./types";
import { INPUT_ID, NODE_HEIGHT, NODE_WIDTH } from "./types";

// Where LayerNode draws its ports (styles.css: 10 px dots, a 30 x 8 bar for a merge's input). Given
// up front with the node's size, they let the canvas draw only the nodes in view (a 500-node model
// would otherwise be drawn whole once, to be measured).
function ports(info: NodeInfo): NodeHandle[] {
  const input = info.merge ? { width: 30, height: 8 } : { width: 10, height: 10 };
  const output = { width: 10, height: 10 };
  const handles: NodeHandle[] = [
    { type: "source", position: Position.Bottom, x: (NODE_WIDTH - output.width) / 2, y: NODE_HEIGHT - output.height / 2, ...output },
  ];
  if (info.id !== INPUT_ID) {
    handles.push({ type: "target", position: Position.Top, x: (NODE_WIDTH - input.width) / 2, y: -input.height / 2, ...input });
  }
  return handles;
}

export type Positions = Record<string, Point>;

// Where each node is drawn: moved here and not yet stored > stored by a person > ELK.
export function nodePosition(id: string, args: Args, layout: Layout, moved: Positions): Point {
  const stored = args.layout[id];
  return moved[id] ?? (stored ? { x: stored[0], y: stored[1] } : layout.positions[id] ?? { x: 0, y: 0 });
}

export function buildNodes(args: Args, layout: Layout, moved: Positions, previous: LayerFlowNode[], select: Set<string> | null): LayerFlowNode[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  return args.nodes.map((info) => {
    const old = before.get(info.id);
    return {
      id: info.id,
      type: "layer",
      // A node being dragged keeps the pointer's position even if new args arrive mid-drag.
      position: old?.dragging ? old.position : nodePosition(info.id, args, layout, moved),
      data: { info },
      selected: select ? select.has(info.id) : (old?.selected ?? false),
      dragging: old?.dragging,
      // The size drawn (styles.css) until React Flow measures the node, and its own measure after,
      // so it does not measure every node again after each render. Known up front, the canvas
      // counts as ready (Fit works) though out-of-view nodes are never drawn.
      measured: old?.measured ?? { width: NODE_WIDTH, height: NODE_HEIGHT },
      handles: old?.measured ? undefined : ports(info),
      deletable: info.id !== INPUT_ID,
    };
  });
}

export function buildEdges(args: Args, layout: Layout, moved: Positions, previous: ShapeFlowEdge[]): ShapeFlowEdge[] {
  const known = new Set(args.nodes.map((n) => n.id));
  const placedByElk = (id: string) => !(id in moved) && !(id in args.layout);
  const wasSelected = new Set(previous.filter((e) => e.selected).map((e) => e.id));
  const edges: ShapeFlowEdge[] = [];
  const seen = new Set<string>();
  for (const e of args.edges) {
    const id = edgeId(e.source, e.target);
    // A layer can take the same tensor twice (Add(h, h)); one drawn wire is enough.
    if (seen.has(id) || !known.has(e.source) || !known.has(e.target)) continue;
    seen.add(id);
    const routed = placedByElk(e.source) && placedByElk(e.target);
    edges.push({
      id,
      source: e.source,
      target: e.target,
      type: "shape",
      data: { shape: e.shape, route: routed ? (layout.routes[id] ?? null) : null, dropTarget: false },
      selected: wasSelected.has(id),
      interactionWidth: 24, // generous, so a palette entry is easy to drop on a wire
    });
  }
  return edges;
}
