// Geometry for the routed edges: ELK gives a polyline of right angles; draw it with softened corners.
import type { Point } from "./layout";

export function roundedPath(points: Point[], radius = 8): string {
  if (points.length === 0) return "";
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const [prev, at, next] = [points[i - 1], points[i], points[i + 1]];
    // Never round more than half a segment, or short jogs would overshoot.
    const r = Math.min(radius, distance(prev, at) / 2, distance(at, next) / 2);
    const before = toward(at, prev, r);
    const after = toward(at, next, r);
    d += ` L ${before.x} ${before.y} Q ${at.x} ${at.y} ${after.x} ${after.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L ${last.x} ${last.y}`;
}

// The point halfway along the polyline, where the shape label sits.
export function midpoint(points: Point[]): Point {
  const total = points.slice(1).reduce((sum, p, i) => sum + distance(points[i], p), 0);
  let left = total / 2;
  for (let i = 1; i < points.length; i++) {
    const step = distance(points[i - 1], points[i]);
    if (step >= left && step > 0) return toward(points[i - 1], points[i], left);
    left -= step;
  }
  return points[0];
}

function distance(a: Point, b: Point): number {
  return Math.hypot(b.x - a.x, b.y - a.y);
}

function toward(from: Point, to: Point, by: number): Point {
  const length = distance(from, to);
  if (length === 0) return from;
  return { x: from.x + ((to.x - from.x) * by) / length, y: from.y + ((to.y - from.y) * by) / length };
}
