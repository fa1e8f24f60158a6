// The editor's shortcuts, listened for on the whole frame but never while a text field has the focus.
import { useEffect, useRef } from "react";

export type Shortcuts = {
  remove: () => void;
  undo: () => void;
  redo: () => void;
  copy: () => boolean; // false: nothing selected, let the browser copy text
  paste: () => void;
  move: (dx: number, dy: number) => void;
};

const STEP = 10;
const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-STEP, 0],
  ArrowRight: [STEP, 0],
  ArrowUp: [0, -STEP],
  ArrowDown: [0, STEP],
};

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function useShortcuts(shortcuts: Shortcuts): void {
  // The listener is added once; it reads the latest handlers through the ref.
  const latest = useRef(shortcuts);
  latest.current = shortcuts;

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTyping(e.target)) return;
      const act = latest.current;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      // e.code as well, so the letters work on keyboards that are not Latin.
      const is = (letter: string) => key === letter || e.code === `Key${letter.toUpperCase()}`;
      if (!mod && (e.key === "Delete" || e.key === "Backspace")) act.remove();
      else if (mod && is("z") && !e.shiftKey) act.undo();
      else if (mod && ((is("z") && e.shiftKey) || is("y"))) act.redo();
      else if (mod && is("c")) {
        if (!act.copy()) return;
      } else if (mod && is("v")) act.paste();
      else if (!mod && !e.altKey && e.key in ARROWS) act.move(...ARROWS[e.key]);
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);
}
