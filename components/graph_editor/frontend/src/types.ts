// The shapes Python sends (args) and the edits the editor sends back (events).

export type XY = [number, number];

export type NodeInfo = {
  id: string;
  type: string;
  family: string;
  colour: string;
  params: Record<string, unknown>;
  inputs: string[];
  shape: string | null;
  param_count: number;
  problems: string[];
  output: boolean;
  merge: boolean;
};

export type EdgeInfo = { source: string; target: string; shape: string | null };

export type PaletteFamily = {
  family: string;
  colour: string;
  types: { type: string; explain: string; merge: boolean }[];
};

export type ParamSchema = {
  name: string;
  describe: string;
  default: unknown;
  required: boolean;
  help: string;
  choices: string[] | null;
  kind: "int" | "float" | "bool" | "choice" | "other";
};

export type Notice = { seq: number; text: string; kind: "refused" | "done" };

export type Args = {
  nodes: NodeInfo[];
  edges: EdgeInfo[];
  layout: Record<string, XY>;
  palette: PaletteFamily[];
  schemas: Record<string, ParamSchema[]>;
  notice: Notice | null;
  height: number;
  selected: string | null;
  follow: number | null; // an edit the page has yet to show: answered with "sync" once drawn
};

export type Theme = {
  base?: "light" | "dark";
  primaryColor?: string;
  backgroundColor?: string;
  secondaryBackgroundColor?: string;
  textColor?: string;
  font?: string;
};

export type CopiedNode = { id: string; type: string; params: Record<string, unknown>; inputs: string[] };

// One event per user action; `seq` is added when it is sent.
export type EditEvent =
  | { op: "add"; type: string; position: XY }
  | { op: "insert"; type: string; edge: [string, string]; position: XY }
  | { op: "connect"; source: string; target: string }
  | { op: "delete"; nodes: string[]; edges: [string, string][] }
  | { op: "move"; positions: Record<string, XY> }
  | { op: "params"; id: string; params: Record<string, unknown> }
  | { op: "rename"; id: string; to: string }
  | { op: "output"; id: string }
  | { op: "paste"; nodes: CopiedNode[]; positions: Record<string, XY> }
  | { op: "layout" }
  | { op: "undo" }
  | { op: "redo" }
  | { op: "sync" };

export const INPUT_ID = "input";
export const INPUT_TYPE = "Input";

// The node box's size: the canvas draws it and ELK lays it out with the same numbers.
export const NODE_WIDTH = 170;
export const NODE_HEIGHT = 52;
