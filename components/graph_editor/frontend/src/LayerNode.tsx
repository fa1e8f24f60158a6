// One layer on the canvas: a fixed-size card with its family's colour stripe, id, type, output shape and size.
import { memo } from "react";
import { Handle, Position } from "@xyflow/react";
import type { Node, NodeProps } from "@xyflow/react";
import type { NodeInfo } from "./types";
import { INPUT_ID } from "./types";

export type LayerNodeData = { info: NodeInfo };
export type LayerFlowNode = Node<LayerNodeData, "layer">;

const count = new Intl.NumberFormat("en-US");

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { info } = data;
  const hasProblems = info.problems.length > 0;
  const classes = ["nl-node", selected && "selected", hasProblems && "problem", info.output && "is-output"];
  const size = `${count.format(info.param_count)} params`;
  const title = [`${info.id}: ${info.type} → ${info.shape ?? "?"}, ${size}`, ...info.problems].join("\n");
  return (
    <div
      className={classes.filter(Boolean).join(" ")}
      data-testid={`nl-node-${info.id}`}
      title={title}
      style={{ "--nl-family": info.colour } as React.CSSProperties}
    >
      {info.id !== INPUT_ID && (
        <Handle
          type="target"
          position={Position.Top}
          className={info.merge ? "nl-port nl-port-merge" : "nl-port"}
          data-testid={`nl-port-in-${info.id}`}
          title={info.merge ? "input: takes several edges" : "input"}
        />
      )}
      <div className="nl-node-row">
        <span className="nl-node-id">{info.id}</span>
        <span className="nl-node-type">{info.type}</span>
        {info.output && <span className="nl-badge">output</span>}
        {hasProblems && <span className="nl-problem-mark">!</span>}
      </div>
      <div className="nl-node-row nl-node-detail">
        <span className="nl-node-shape">{info.shape ? `→ ${info.shape}` : "→ ?"}</span>
        <span className="nl-node-params">{info.param_count > 0 ? size : ""}</span>
      </div>
      <Handle type="source" position={Position.Bottom} className="nl-port" data-testid={`nl-port-out-${info.id}`} title="output" />
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
