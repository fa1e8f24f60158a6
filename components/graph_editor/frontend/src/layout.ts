// Automatic layout with ELK's layered algorithm. Small graphs are laid out on the page's thread (tens
// of ms, and no worker to start before the first picture); from BIG_GRAPH nodes in a web worker,
// started on first need: 500 nodes take half a second, which on the page's thread would freeze the
// canvas, the page and its charts.
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkNode } from "elkjs/lib/elk-api";
import ElkWorker from "elkjs/lib/elk-worker.min.js?worker";
import type { Args, EdgeInfo, NodeInfo } from "./types";
import { NODE_HEIGHT, NODE_WIDTH } from "./types";

const BIG_GRAPH = 120;
let onPage: InstanceType<typeof ELK> | null = null;
let inWorker: InstanceType<typeof ELK> | null = null;

function elkFor(nodes: number): InstanceType<typeof ELK> {
  if (nodes < BIG_GRAPH) return (onPage ??= new ELK());
  return (inWorker ??= new ELK({ workerUrl: "", workerFactory: () => new ElkWorker() }));
}

export type Point = { x: number; y: number };

export type Layout = {
  key: string; // the structure it was computed for
  positions: Record<string, Point>;
  routes: Record<string, Point[]>; // by edge id: start, bend points, end
};

export function edgeId(source: string, target: string): string {
  return `${source}->${target}`;
}

// What the layout depends on: the nodes (in order) and the wiring, not the parameters or shapes.
export function structureKey(nodes: NodeInfo[], edges: EdgeInfo[]): string {
  return JSON.stringify([nodes.map((n) => n.id), edges.map((e) => [e.source, e.target])]);
}

// Layers run top to bottom, as in most network diagrams: the editor sits in a column beside the
// output, taller than wide. The gap leaves room for a wire's shape label (one line of text).
const LAYER_GAP = 36;

export async function computeLayout(nodes: NodeInfo[], edges: EdgeInfo[]): Promise<Layout> {
  const known = new Set(nodes.map((n) => n.id));
  const wired = edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);
  // One fixed port on each side's middle, where the canvas draws its handles, so routes end on them.
  const graph: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.spacing.nodeNode": "30",
      "elk.layered.spacing.nodeNodeBetweenLayers": String(LAYER_GAP),
      "elk.spacing.edgeNode": "16",
      "elk.layered.spacing.edgeNodeBetweenLayers": "20",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES", // keep the file's order where it can
      "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX", // straight runs for chains
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      layoutOptions: { "elk.portConstraints": "FIXED_POS" },
      ports: [
        { id: `${n.id}::in`, x: NODE_WIDTH / 2, y: 0, width: 0, height: 0, layoutOptions: { "elk.port.side": "NORTH" } },
        { id: `${n.id}::out`, x: NODE_WIDTH / 2, y: NODE_HEIGHT, width: 0, height: 0, layoutOptions: { "elk.port.side": "SOUTH" } },
      ],
    })),
    edges: wired.map((e) => ({
      id: edgeId(e.source, e.target),
      sources: [`${e.source}::out`],
      targets: [`${e.target}::in`],
    })),
  };
  const laid = await elkFor(nodes.length).layout(graph);
  const positions: Record<string, Point> = {};
  for (const child of laid.children ?? []) positions[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  const routes: Record<string, Point[]> = {};
  for (const edge of laid.edges ?? []) {
    const section = edge.sections?.[0];
    if (section) routes[edge.id] = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
  }
  return { key: structureKey(nodes, edges), positions, routes };
}

// Until ELK answers for an edited structure (tens of ms at 50 nodes, more at 500), the edit is drawn
// on the layout before it: the nodes that were there stay, a new one sits just below what feeds it,
// and new wires take a plain path. ELK's answer then moves everything into place.
export function interimLayout(previous: Layout, args: Args, key: string): Layout {
  const positions = { ...previous.positions };
  for (const node of args.nodes) {
    if (node.id in positions) continue;
    const feeder = args.edges.find((e) => e.target === node.id && e.source in positions);
    const above = feeder ? positions[feeder.source] : { x: 0, y: 0 };
    positions[node.id] = { x: above.x + NODE_WIDTH / 4, y: above.y + (NODE_HEIGHT + LAYER_GAP) / 2 };
  }
  return { key, positions, routes: previous.routes };
}

// If ELK ever fails, a plain column in file order still shows the whole graph (edges drawn without routes).
export function fallbackLayout(nodes: NodeInfo[], edges: EdgeInfo[]): Layout {
  const positions = Object.fromEntries(nodes.map((n, i) => [n.id, { x: 0, y: i * (NODE_HEIGHT + LAYER_GAP) }]));
  return { key: structureKey(nodes, edges), positions, routes: {} };
}
