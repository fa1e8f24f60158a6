// The layer types, grouped by family, dragged onto the canvas (HTML5 drag and drop).
import { useMemo, useState } from "react";
import type { PaletteFamily } from "./types";

export const DRAG_TYPE = "application/neuroloom-type";

export function Palette({ families }: { families: PaletteFamily[] }) {
  const [query, setQuery] = useState("");
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return families;
    return families
      .map((f) => ({ ...f, types: f.types.filter((t) => t.type.toLowerCase().includes(q) || t.explain.toLowerCase().includes(q)) }))
      .filter((f) => f.types.length > 0);
  }, [families, query]);

  return (
    <aside className="nl-palette">
      <input
        className="nl-search"
        type="search"
        placeholder="Search layers…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        aria-label="Search layers"
      />
      <div className="nl-palette-list">
        {shown.map((family) => (
          <section key={family.family} className="nl-family">
            <h4 style={{ borderColor: family.colour }}>
              <span className="nl-swatch" style={{ background: family.colour }} />
              {family.family}
            </h4>
            {family.types.map((t) => (
              <div
                key={t.type}
                className="nl-palette-entry"
                draggable
                data-testid={`nl-palette-${t.type}`}
                title={`${t.type}${t.merge ? " (takes several inputs)" : ""}: ${t.explain}`}
                style={{ borderLeftColor: family.colour }}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, t.type);
                  e.dataTransfer.effectAllowed = "copy";
                }}
              >
                <div className="nl-entry-type">{t.type}</div>
                <div className="nl-entry-explain">{t.explain}</div>
              </div>
            ))}
          </section>
        ))}
        {shown.length === 0 && <p className="nl-muted">No layer matches “{query}”.</p>}
      </div>
    </aside>
  );
}
