// Which wire a palette entry is dropped on. Wires have wide invisible hit areas, so near a merge's port
// several can be under the pointer: take the one whose drawn line is nearest.

export function edgeIdAt(clientX: number, clientY: number): string | null {
  const candidates: { id: string; group: Element }[] = [];
  for (const el of document.elementsFromPoint(clientX, clientY)) {
    if (el.closest(".react-flow__node")) break; // a node covers whatever wire lies beneath it
    const group = el.closest(".react-flow__edge");
    const id = group?.getAttribute("data-id");
    if (group && id && !candidates.some((c) => c.id === id)) candidates.push({ id, group });
  }
  if (candidates.length <= 1) return candidates[0]?.id ?? null;
  // Wires into one port share their last stretch; on a tie the shorter wire wins (the direct one,
  // not a long skip connection that happens to end there too).
  const scored = candidates.map(({ id, group }) => {
    const path = group.querySelector<SVGPathElement>("path.react-flow__edge-path");
    return { id, distance: path ? screenDistance(path, clientX, clientY) : Infinity, length: path?.getTotalLength() ?? Infinity };
  });
  scored.sort((a, b) => (Math.abs(a.distance - b.distance) > 2 ? a.distance - b.distance : a.length - b.length));
  return scored[0].id;
}

// Distance from a screen point to a path, by sampling the path every few pixels.
function screenDistance(path: SVGPathElement, x: number, y: number): number {
  const m = path.getScreenCTM();
  if (!m) return Infinity;
  const length = path.getTotalLength();
  const steps = Math.max(16, Math.ceil(length / 4));
  let best = Infinity;
  for (let i = 0; i <= steps; i++) {
    const p = path.getPointAtLength((length * i) / steps);
    best = Math.min(best, Math.hypot(m.a * p.x + m.c * p.y + m.e - x, m.b * p.x + m.d * p.y + m.f - y));
  }
  return best;
}
