// Palette entries dropped on the canvas: on a wire they insert a layer into it, anywhere else they add one.
import { useRef, useState } from "react";
import type { DragEvent, MutableRefObject } from "react";
import { useReactFlow } from "@xyflow/react";
import { DRAG_TYPE } from "./Palette";
import type { ShapeFlowEdge } from "./ShapeEdge";
import { edgeIdAt } from "./hitTest";
import type { EditEvent, XY } from "./types";
import { NODE_HEIGHT, NODE_WIDTH } from "./types";

export function usePaletteDrop(edgesRef: MutableRefObject<ShapeFlowEdge[]>, emit: (event: EditEvent) => void) {
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const [dropEdge, setDropEdge] = useState<string | null>(null); // the wire under the pointer, highlighted

  const edgeAt = (e: DragEvent) => {
    const id = edgeIdAt(e.clientX, e.clientY);
    return id ? (edgesRef.current.find((edge) => edge.id === id) ?? null) : null;
  };

  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    const id = edgeAt(e)?.id ?? null;
    if (id !== dropEdge) setDropEdge(id);
  };

  const onDragLeave = (e: DragEvent) => {
    if (!wrapper.current?.contains(e.relatedTarget as Node | null)) setDropEdge(null);
  };

  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(DRAG_TYPE);
    setDropEdge(null);
    if (!type) return;
    e.preventDefault();
    // The new node's top-left in flow coordinates, such that it lands centred on the pointer.
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const position: XY = [Math.round(at.x - NODE_WIDTH / 2), Math.round(at.y - NODE_HEIGHT / 2)];
    const edge = edgeAt(e);
    if (edge) emit({ op: "insert", type, edge: [edge.source, edge.target], position });
    else emit({ op: "add", type, position });
  };

  return { wrapper, dropEdge, onDragOver, onDragLeave, onDrop };
}
