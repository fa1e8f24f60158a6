// Whether the editor is narrower than `below` px. Watched on the editor itself: Streamlit resizes the
// frame with the page's column, and the editor may share it, so the window's width is only a first guess.
import { useLayoutEffect, useState } from "react";
import type { RefObject } from "react";

export function useNarrow(ref: RefObject<HTMLElement>, below: number): boolean {
  const [narrow, setNarrow] = useState(() => window.innerWidth < below);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const check = () => setNarrow(element.getBoundingClientRect().width < below);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, below]);
  return narrow;
}
