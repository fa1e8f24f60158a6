// The selected node's details and parameters; with nothing selected, how to use the editor.
import { useState } from "react";
import type { NodeInfo, ParamSchema } from "./types";
import { INPUT_ID } from "./types";
import { ParamField } from "./ParamField";

type Props = {
  selected: NodeInfo[];
  schemas: Record<string, ParamSchema[]>;
  onParams: (id: string, params: Record<string, unknown>) => void;
  onRename: (id: string, to: string) => void;
  onOutput: (id: string) => void;
  onDelete: () => void;
  onClose?: () => void; // given when the inspector floats over the canvas (narrow frames)
};

const count = new Intl.NumberFormat("en-US");

export function Inspector(props: Props) {
  const { selected } = props;
  return (
    <aside className="nl-inspector" aria-label="Inspector">
      {props.onClose && (
        <button
          type="button"
          className="nl-inspector-close"
          data-testid="nl-inspector-close"
          onClick={props.onClose}
          title="Hide until the selection changes"
          aria-label="Close the inspector"
        >
          ×
        </button>
      )}
      <div className="nl-inspector-scroll">
        {selected.length === 0 && <Help />}
        {selected.length === 1 && <NodeDetails key={selected[0].id} node={selected[0]} {...props} />}
        {selected.length > 1 && (
          <div className="nl-inspector-body">
            <h3>{selected.length} nodes selected</h3>
            <p className="nl-muted">{selected.map((n) => n.id).join(", ")}</p>
            <p className="nl-muted">Drag them together, move them with the arrow keys, copy them with Ctrl+C.</p>
            <div className="nl-actions">
              <button type="button" className="nl-danger" onClick={props.onDelete} disabled={selected.every((n) => n.id === INPUT_ID)}>
                Delete
              </button>
            </div>
          </div>
        )}
      </div>
    </aside>
  );
}

function NodeDetails({ node, schemas, onParams, onRename, onOutput, onDelete }: Props & { node: NodeInfo }) {
  const [name, setName] = useState(node.id);
  const isInput = node.id === INPUT_ID;
  const fields = schemas[node.type] ?? [];
  const rename = () => {
    const to = name.trim();
    if (to && to !== node.id) onRename(node.id, to);
    else setName(node.id);
  };
  const setParam = (key: string, value: unknown) => {
    const params = { ...node.params };
    if (value === undefined) delete params[key];
    else params[key] = value;
    onParams(node.id, params);
  };
  return (
    <div className="nl-inspector-body">
      <h4 className="nl-section nl-section-first">Layer</h4>
      <label className="nl-field">
        <span className="nl-field-label">id</span>
        <input
          className="nl-id-input"
          type="text"
          value={name}
          disabled={isInput}
          title={isInput ? "The model's input keeps its name" : "Rename: Enter or leave the field"}
          onChange={(e) => setName(e.target.value)}
          onBlur={rename}
          onKeyDown={(e) => {
            if (e.key === "Enter") e.currentTarget.blur();
            if (e.key === "Escape") setName(node.id);
          }}
        />
      </label>
      <dl className="nl-facts">
        <dt>type</dt>
        <dd>
          <span className="nl-swatch" style={{ background: node.colour }} />
          {node.type}
        </dd>
        <dt>output</dt>
        <dd className="nl-mono">{node.shape ?? "unknown"}</dd>
        <dt>params</dt>
        <dd>{count.format(node.param_count)}</dd>
      </dl>
      {node.problems.length > 0 && (
        <div className="nl-problems" role="alert">
          {node.problems.map((p, i) => (
            <div key={i}>{p}</div>
          ))}
        </div>
      )}
      {fields.length > 0 && <h4 className="nl-section">Parameters</h4>}
      {fields.map((schema) => (
        <ParamField
          key={`${node.id}:${schema.name}:${JSON.stringify(node.params[schema.name] ?? null)}`}
          schema={schema}
          value={node.params[schema.name]}
          onCommit={(value) => setParam(schema.name, value)}
        />
      ))}
      <div className="nl-actions">
        <button type="button" onClick={() => onOutput(node.id)} disabled={isInput || node.output} title="Make this the model's output">
          {node.output ? "Is the output" : "Make output"}
        </button>
        <button type="button" className="nl-danger" onClick={onDelete} disabled={isInput}>
          Delete
        </button>
      </div>
    </div>
  );
}

function Help() {
  return (
    <div className="nl-inspector-body nl-help">
      <h3>Edit the model</h3>
      <ul>
        <li><b>Add</b> a layer: drag it from the palette onto the canvas.</li>
        <li><b>Insert</b> into a wire: drop it on the edge.</li>
        <li><b>Wire</b>: drag from a node's output port (bottom) to another's input port (top).</li>
        <li><b>Select</b> a node to edit its parameters here; Shift-drag to select several.</li>
        <li><kbd>Delete</kbd> removes the selection.</li>
        <li><kbd>Ctrl+Z</kbd> undo, <kbd>Ctrl+Shift+Z</kbd> redo.</li>
        <li><kbd>Ctrl+C</kbd> / <kbd>Ctrl+V</kbd> copy and paste nodes.</li>
        <li>Arrow keys move the selection.</li>
      </ul>
    </div>
  );
}
