// One parameter's input, chosen by its kind; it reports a new value, or undefined to drop the key.
import { useState } from "react";
import type { ParamSchema } from "./types";

type Props = { schema: ParamSchema; value: unknown; onCommit: (value: unknown) => void };

function shown(value: unknown, kind: ParamSchema["kind"]): string {
  if (value === undefined || value === null) return kind === "other" && value === null ? "null" : "";
  return kind === "other" ? jsonText(value) : String(value);
}

// JSON as a person writes it: [3, 3] rather than [3,3].
function jsonText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonText).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${jsonText(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

// Numbers and JSON are committed on Enter or leaving the field, not per keystroke: each edit reruns the page.
export function ParamField({ schema, value, onCommit }: Props) {
  const { name, kind, choices } = schema;
  const [text, setText] = useState(shown(value, kind));
  const [invalid, setInvalid] = useState(false);
  const placeholder = schema.default === undefined || schema.default === null ? (schema.required ? "required" : "") : shown(schema.default, kind);

  const commitText = () => {
    const raw = text.trim();
    if (raw === shown(value, kind)) return setInvalid(false);
    if (raw === "") return onCommit(undefined);
    const parsed = parse(raw, kind);
    setInvalid(parsed === INVALID);
    if (parsed !== INVALID) onCommit(parsed);
  };

  const label = (
    <span className="nl-field-label">
      {name}
      {schema.required && <span className="nl-required">*</span>}
      {schema.describe && <span className="nl-field-describe">{schema.describe}</span>}
    </span>
  );

  if (kind === "bool") {
    const checked = Boolean(value ?? schema.default);
    return (
      <label className="nl-field nl-field-bool" title={schema.help}>
        <input type="checkbox" checked={checked} onChange={(e) => onCommit(e.target.checked)} />
        {label}
      </label>
    );
  }
  if (kind === "choice" && choices) {
    return (
      <label className="nl-field" title={schema.help}>
        {label}
        <select value={value === undefined ? "" : String(value)} onChange={(e) => onCommit(e.target.value === "" ? undefined : e.target.value)}>
          <option value="">{schema.default === undefined || schema.default === null ? "(not set)" : `default: ${String(schema.default)}`}</option>
          {choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <label className="nl-field" title={schema.help}>
      {label}
      <input
        className={invalid ? "invalid" : undefined}
        type="text"
        inputMode={kind === "int" ? "numeric" : kind === "float" ? "decimal" : undefined}
        value={text}
        placeholder={placeholder}
        onChange={(e) => {
          setText(e.target.value);
          setInvalid(false);
        }}
        onBlur={commitText}
        onKeyDown={(e) => {
          if (e.key === "Enter") e.currentTarget.blur();
          if (e.key === "Escape") setText(shown(value, kind));
        }}
      />
      {invalid && <span className="nl-field-error">{kind === "int" ? "a whole number" : kind === "float" ? "a number" : "not understood"}</span>}
    </label>
  );
}

const INVALID = Symbol("invalid");

function parse(raw: string, kind: ParamSchema["kind"]): unknown {
  if (kind === "int") return /^[-+]?\d+$/.test(raw) ? Number.parseInt(raw, 10) : INVALID;
  if (kind === "float") return raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : INVALID;
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // a bare word such as same means the string "same"
  }
}
