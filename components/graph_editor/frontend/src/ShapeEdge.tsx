// A wire between two layers, labelled with the tensor shape it carries.
import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath } from "@xyflow/react";
import type { Edge, EdgeProps } from "@xyflow/react";
import type { Point } from "./layout";
import { midpoint, roundedPath } from "./paths";

export type ShapeEdgeData = { shape: string | null; route: Point[] | null; dropTarget: boolean };
export type ShapeFlowEdge = Edge<ShapeEdgeData, "shape">;

// ELK's route is used only while its ends still sit on the handles; a node dragged since gets a plain path.
const SNAP = 12;

function routedPath(route: Point[] | null, sx: number, sy: number, tx: number, ty: number): Point[] | null {
  if (!route || route.length < 2) return null;
  const start = route[0];
  const end = route[route.length - 1];
  const fits = Math.hypot(start.x - sx, start.y - sy) <= SNAP && Math.hypot(end.x - tx, end.y - ty) <= SNAP;
  if (!fits) return null;
  return [{ x: sx, y: sy }, ...route.slice(1, -1), { x: tx, y: ty }];
}

function ShapeEdgeView(props: EdgeProps<ShapeFlowEdge>) {
  const { id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, interactionWidth } = props;
  const points = routedPath(data?.route ?? null, sourceX, sourceY, targetX, targetY);
  let path: string;
  let label: Point;
  if (points) {
    path = roundedPath(points);
    label = midpoint(points);
  } else {
    const [smooth, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 8 });
    path = smooth;
    label = { x: labelX, y: labelY };
  }
  const classes = ["nl-edge", selected && "selected", data?.dropTarget && "drop-target"].filter(Boolean).join(" ");
  return (
    <g className={classes} data-testid={`nl-edge-${source}-${target}`}>
      <BaseEdge id={id} path={path} interactionWidth={interactionWidth} />
      {data?.shape && (
        <EdgeLabelRenderer>
          <div
            className={`nl-edge-label${selected ? " selected" : ""}${data.dropTarget ? " drop-target" : ""}`}
            data-edge-id={id}
            style={{ transform: `translate(-50%, -50%) translate(${label.x}px, ${label.y}px)` }}
          >
            {data.shape}
          </div>
        </EdgeLabelRenderer>
      )}
    </g>
  );
}

export const ShapeEdge = memo(ShapeEdgeView);
