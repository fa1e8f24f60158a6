// The editor: palette, canvas and inspector. The graph itself is Python's: every edit is sent as one
// event and the canvas redraws from the next args; only positions and the selection are kept here.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Background, BackgroundVariant, Controls, ReactFlow, applyEdgeChanges, applyNodeChanges, useReactFlow } from "@xyflow/react";
import type { Connection, EdgeChange, NodeChange, OnNodeDrag, Viewport } from "@xyflow/react";
import { LayerNode } from "./LayerNode";
import type { LayerFlowNode } from "./LayerNode";
import { ShapeEdge } from "./ShapeEdge";
import type { ShapeFlowEdge } from "./ShapeEdge";
import { Palette } from "./Palette";
import { Inspector } from "./Inspector";
import { Notice } from "./Notice";
import { computeLayout, fallbackLayout, interimLayout, structureKey } from "./layout";
import type { Layout } from "./layout";
import { buildEdges, buildNodes, nodePosition } from "./build";
import type { Positions } from "./build";
import { useShortcuts } from "./keyboard";
import { usePaletteDrop } from "./usePaletteDrop";
import { useNarrow } from "./useNarrow";
import { FIT, openingViewport } from "./openingView";
import { copyOf, readCopy, storeCopy } from "./clipboard";
import { sendEvent } from "./protocol";
import type { Args, EditEvent, XY } from "./types";
import { INPUT_ID } from "./types";

const nodeTypes = { layer: LayerNode };
const edgeTypes = { shape: ShapeEdge };
const MOVE_DEBOUNCE_MS = 300;
const MULTI_SELECT_KEYS = ["Shift", "Meta", "Control"]; // Shift-click adds to the selection too, as in most editors
// Edits after which new ids are the user's new nodes (selected) and the viewport stays put.
const CREATING: EditEvent["op"][] = ["add", "insert", "paste", "rename"];
const EDITING: EditEvent["op"][] = [...CREATING, "delete", "undo", "redo"];

// Below this frame width the palette slims down and the inspector floats over the canvas as a card.
const NARROW_BELOW = 900;
const HINT = "Del delete · Ctrl+Z undo · Ctrl+Shift+Z redo · Ctrl+C/V copy · arrows move";
const SHORT_HINT = "Del · Ctrl+Z · Ctrl+C/V · arrows";

const xy = (p: { x: number; y: number }): XY => [Math.round(p.x), Math.round(p.y)];

// Positions moved here but not yet back in args.layout; they belong to the layout they were made on,
// so a new args.layout (stored moves, or Auto layout's reset) replaces them.
type Moved = { layoutJson: string; positions: Positions };

export function Editor({ args, dark }: { args: Args; dark: boolean }) {
  const flow = useReactFlow<LayerFlowNode, ShapeFlowEdge>();
  const root = useRef<HTMLDivElement>(null);
  const narrow = useNarrow(root, NARROW_BELOW);
  const [layout, setLayout] = useState<Layout | null>(null);
  const [moved, setMoved] = useState<Moved>({ layoutJson: "", positions: {} });
  const [nodes, setNodes] = useState<LayerFlowNode[]>([]);
  const [edges, setEdges] = useState<ShapeFlowEdge[]>([]);
  const nodesRef = useRef(nodes);
  nodesRef.current = nodes;
  const edgesRef = useRef(edges);
  edgesRef.current = edges;

  const key = structureKey(args.nodes, args.edges);
  const layoutJson = JSON.stringify(args.layout);
  const movedHere = moved.layoutJson === layoutJson ? moved.positions : {};

  // What the last sent edit was, to tell an edit's new nodes from a model loaded by the page.
  const lastEdit = useRef<{ op: EditEvent["op"]; at: number } | null>(null);
  const shownIds = useRef<Set<string> | null>(null);
  const lastSelectedArg = useRef<string | null | undefined>(undefined);
  const fitWhenLayoutLeaves = useRef<string | null>(null); // Auto layout: fit once Python's reset arrives

  // The first viewport is set once React Flow has started (it mounts with the first nodes).
  const flowReady = useRef(false);
  const pendingViewport = useRef<Viewport | null>(null);
  const showViewport = (viewport: Viewport) => {
    if (flowReady.current) void flow.setViewport(viewport);
    else pendingViewport.current = viewport;
  };
  const onFlowInit = () => {
    flowReady.current = true;
    if (pendingViewport.current) void flow.setViewport(pendingViewport.current);
    pendingViewport.current = null;
  };

  const emit = useCallback((event: EditEvent) => {
    if (EDITING.includes(event.op)) lastEdit.current = { op: event.op, at: Date.now() };
    sendEvent(event);
  }, []);

  // ELK runs when the structure changes; until it answers the canvas keeps what it shows.
  useEffect(() => {
    let current = true;
    computeLayout(args.nodes, args.edges)
      .catch(() => fallbackLayout(args.nodes, args.edges))
      .then((result) => current && setLayout(result));
    return () => {
      current = false;
    };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps

  // Args, layout or local moves changed: rebuild what React Flow draws.
  useEffect(() => {
    if (!layout) return;
    const fresh = layout.key === key;
    const ids = new Set(args.nodes.map((n) => n.id));
    const before = shownIds.current;
    const changedSet = !before || before.size !== ids.size || [...ids].some((id) => !before.has(id));
    let select: Set<string> | null = null;
    let fit = false;
    if (changedSet) {
      const added = before ? [...ids].filter((id) => !before.has(id)) : [];
      const edit = lastEdit.current && Date.now() - lastEdit.current.at < 10_000 ? lastEdit.current : null;
      const shared = before ? [...ids].filter((id) => before.has(id)).length : 0;
      const mostlyKept = before !== null && shared >= Math.max(before.size, ids.size) / 2;
      if (edit && CREATING.includes(edit.op) && added.length > 0) select = new Set(added);
      fit = !edit || !mostlyKept; // a load (another model), not an edit of ours
      if (fit && !fresh) return; // a load waits for its own layout; an edit is drawn at once
      lastEdit.current = null;
      shownIds.current = ids;
    }
    if (args.selected !== lastSelectedArg.current) {
      lastSelectedArg.current = args.selected;
      if (args.selected && ids.has(args.selected)) select = new Set([args.selected]);
    }
    const drawn = fresh ? layout : interimLayout(layout, args, key);
    setNodes(buildNodes(args, drawn, movedHere, nodesRef.current, select));
    setEdges(buildEdges(args, drawn, movedHere, select ? [] : edgesRef.current));
    const relaidOut = fitWhenLayoutLeaves.current !== null && fitWhenLayoutLeaves.current !== layoutJson;
    if (relaidOut) fitWhenLayoutLeaves.current = null;
    const pane = drop.wrapper.current?.getBoundingClientRect();
    if (fit && pane && pane.width > 0 && pane.height > 0) {
      const shown = args.nodes.map((n) => nodePosition(n.id, args, drawn, movedHere));
      showViewport(openingViewport(shown, pane));
    } else if (fit || relaidOut) void flow.fitView(FIT); // queued by React Flow until the nodes are measured
  }, [args, layout, moved]); // eslint-disable-line react-hooks/exhaustive-deps

  const onNodesChange = useCallback((changes: NodeChange<LayerFlowNode>[]) => {
    // Removal is never applied here (Delete is sent to Python); the rest is local: drag, select, measure.
    setNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), ns));
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange<ShapeFlowEdge>[]) => {
    setEdges((es) => applyEdgeChanges(changes.filter((c) => c.type !== "remove"), es));
  }, []);

  const rememberMoves = useCallback(
    (positions: Positions) => {
      setMoved((m) => ({ layoutJson, positions: { ...(m.layoutJson === layoutJson ? m.positions : {}), ...positions } }));
    },
    [layoutJson],
  );

  const dragStart = useRef<Record<string, XY>>({});
  const onNodeDragStart: OnNodeDrag<LayerFlowNode> = useCallback((_e, _node, dragged) => {
    dragStart.current = Object.fromEntries(dragged.map((n) => [n.id, xy(n.position)]));
  }, []);
  const onNodeDragStop: OnNodeDrag<LayerFlowNode> = useCallback(
    (_e, _node, dragged) => {
      const positions = Object.fromEntries(dragged.map((n) => [n.id, xy(n.position)]));
      const changed = Object.entries(positions).some(([id, p]) => dragStart.current[id]?.join() !== p.join());
      if (!changed) return; // a click, not a move
      rememberMoves(Object.fromEntries(dragged.map((n) => [n.id, n.position])));
      emit({ op: "move", positions });
    },
    [emit, rememberMoves],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      // Python checks cycles and shapes and answers with the new edge or a notice; nothing is drawn here.
      if (c.source && c.target) emit({ op: "connect", source: c.source, target: c.target });
    },
    [emit],
  );

  const drop = usePaletteDrop(edgesRef, emit);

  // ---- selection-wide actions (keys, inspector, toolbar) ----
  const selectedNodes = nodes.filter((n) => n.selected);

  // In a narrow frame the inspector floats over the canvas, so it opens only when asked (a double
  // click, or Edit): opening on every click would cover the nodes a person goes on to click.
  const [inspecting, setInspecting] = useState(false);
  if (inspecting && selectedNodes.length === 0) setInspecting(false);
  const showInspector = !narrow || (selectedNodes.length > 0 && inspecting);
  const removeSelection = () => {
    const ids = nodesRef.current.filter((n) => n.selected && n.id !== INPUT_ID).map((n) => n.id);
    const wires = edgesRef.current.filter((e) => e.selected).map((e): [string, string] => [e.source, e.target]);
    if (ids.length || wires.length) emit({ op: "delete", nodes: ids, edges: wires });
  };

  const pendingMoves = useRef<Record<string, XY>>({});
  const moveTimer = useRef<number>();
  useShortcuts({
    remove: removeSelection,
    undo: () => emit({ op: "undo" }),
    redo: () => emit({ op: "redo" }),
    copy: () => {
      const chosen = nodesRef.current.filter((n) => n.selected && n.id !== INPUT_ID);
      if (chosen.length === 0) return false;
      storeCopy(copyOf(chosen.map((n) => ({ info: n.data.info, position: n.position }))));
      return true;
    },
    paste: () => {
      const copied = readCopy();
      if (copied) emit({ op: "paste", nodes: copied.nodes, positions: copied.positions });
    },
    move: (dx, dy) => {
      const chosen = nodesRef.current.filter((n) => n.selected);
      if (chosen.length === 0) return;
      const positions = Object.fromEntries(chosen.map((n) => [n.id, { x: n.position.x + dx, y: n.position.y + dy }]));
      rememberMoves(positions); // at once, so holding an arrow key glides
      Object.assign(pendingMoves.current, Object.fromEntries(Object.entries(positions).map(([id, p]) => [id, xy(p)])));
      window.clearTimeout(moveTimer.current);
      moveTimer.current = window.setTimeout(() => {
        emit({ op: "move", positions: pendingMoves.current });
        pendingMoves.current = {};
      }, MOVE_DEBOUNCE_MS);
    },
  });

  const autoLayout = () => {
    setMoved({ layoutJson: "", positions: {} });
    // With nothing stored, the reset changes nothing in args: fit now; else when the new args come.
    if (Object.keys(args.layout).length === 0) window.setTimeout(() => void flow.fitView({ ...FIT, duration: 200 }), 50);
    else fitWhenLayoutLeaves.current = layoutJson;
    emit({ op: "layout" });
  };

  const { dropEdge } = drop;
  const shownEdges = useMemo(
    () => (dropEdge ? edges.map((e) => (e.id === dropEdge ? { ...e, data: { ...e.data!, dropTarget: true } } : e)) : edges),
    [edges, dropEdge],
  );

  return (
    <div ref={root} className={narrow ? "nl-editor nl-narrow" : "nl-editor"} style={{ height: args.height }}>
      <Palette families={args.palette} />
      <div
        className="nl-canvas"
        data-testid="nl-canvas"
        ref={drop.wrapper}
        onDragOver={drop.onDragOver}
        onDragLeave={drop.onDragLeave}
        onDrop={drop.onDrop}
      >
        <div className="nl-toolbar">
          <button type="button" onClick={autoLayout} title="Forget the positions set by hand and lay the graph out again">
            Auto layout
          </button>
          <button type="button" onClick={() => void flow.fitView({ ...FIT, duration: 200 })} title="Show the whole graph">
            Fit
          </button>
          {narrow && (
            <button type="button" onClick={() => setInspecting(true)} disabled={selectedNodes.length === 0}
              title="Edit the selected node's parameters and id (or double-click a node)">
              Edit
            </button>
          )}
          <span className="nl-hint" title={HINT}>
            <span className="nl-hint-full">{HINT}</span>
            <span className="nl-hint-short">{SHORT_HINT}</span>
          </span>
        </div>
        <Notice notice={args.notice} />
        {nodes.length > 0 ? (
          <ReactFlow<LayerFlowNode, ShapeFlowEdge>
            nodes={nodes}
            edges={shownEdges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeDragStart={onNodeDragStart}
            onNodeDragStop={onNodeDragStop}
            onNodeDoubleClick={() => setInspecting(true)}
            zoomOnDoubleClick={false}
            deleteKeyCode={null}
            multiSelectionKeyCode={MULTI_SELECT_KEYS}
            disableKeyboardA11y
            colorMode={dark ? "dark" : "light"}
            onInit={onFlowInit}
            onlyRenderVisibleElements // a 500-node model draws only what is in view
            minZoom={0.15}
            maxZoom={2}
          >
            <Background variant={BackgroundVariant.Dots} gap={18} size={1.2} />
            <Controls showInteractive={false} fitViewOptions={FIT} />
          </ReactFlow>
        ) : (
          <div className="nl-loading">Laying out…</div>
        )}
      </div>
      {showInspector && (
        <Inspector
          selected={selectedNodes.map((n) => n.data.info)}
          schemas={args.schemas}
          onParams={(id, params) => emit({ op: "params", id, params })}
          onRename={(id, to) => emit({ op: "rename", id, to })}
          onOutput={(id) => emit({ op: "output", id })}
          onDelete={removeSelection}
          onClose={narrow ? () => setInspecting(false) : undefined}
        />
      )}
    </div>
  );
}
