// Copied nodes live in memory and in localStorage, so a paste in another tab (another frame) finds them.
import type { CopiedNode, NodeInfo, XY } from "./types";

export type Copied = { nodes: CopiedNode[]; positions: Record<string, XY> };

const PASTE_OFFSET = 40;

// The chosen nodes with the wires among them only, and where their copies go: 40 px down and right,
// keyed by the original ids (Python names the copies).
export function copyOf(chosen: { info: NodeInfo; position: { x: number; y: number } }[]): Copied {
  const inGroup = new Set(chosen.map((c) => c.info.id));
  return {
    nodes: chosen.map(({ info }) => ({ id: info.id, type: info.type, params: info.params, inputs: info.inputs.filter((i) => inGroup.has(i)) })),
    positions: Object.fromEntries(
      chosen.map(({ info, position }) => [info.id, [Math.round(position.x + PASTE_OFFSET), Math.round(position.y + PASTE_OFFSET)] as XY]),
    ),
  };
}

const KEY = "neuroloom-clipboard";
let inMemory: Copied | null = null;

export function storeCopy(copied: Copied): void {
  inMemory = copied;
  try {
    localStorage.setItem(KEY, JSON.stringify(copied));
  } catch {
    // Storage may be off in a sandboxed frame; the in-memory copy still pastes here.
  }
}

export function readCopy(): Copied | null {
  try {
    const stored = localStorage.getItem(KEY);
    if (stored) {
      const parsed = JSON.parse(stored) as Copied;
      if (Array.isArray(parsed.nodes) && parsed.nodes.length > 0) return parsed;
    }
  } catch {
    // fall back to this frame's own copy
  }
  return inMemory;
}
