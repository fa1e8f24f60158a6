// Python's answer to an edit ("refused: …" or "done: …"), shown for a few seconds when its seq is new.
import { useEffect, useState } from "react";
import type { Notice as NoticeInfo } from "./types";

const SHOW_MS = 4000;
const SEEN_KEY = "neuroloom-notice-seq";

// Remembered per tab so a reloaded frame does not replay the last answer.
function lastSeen(): number {
  try {
    return Number(sessionStorage.getItem(SEEN_KEY) ?? "-Infinity");
  } catch {
    return -Infinity;
  }
}

function markSeen(seq: number): void {
  try {
    sessionStorage.setItem(SEEN_KEY, String(seq));
  } catch {
    // no storage: a reload may show the last notice once more
  }
}

export function Notice({ notice }: { notice: NoticeInfo | null }) {
  const [shown, setShown] = useState<NoticeInfo | null>(null);

  useEffect(() => {
    if (!notice || notice.seq === lastSeen()) return;
    markSeen(notice.seq);
    setShown(notice);
  }, [notice?.seq]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!shown) return;
    const timer = window.setTimeout(() => setShown(null), SHOW_MS);
    return () => window.clearTimeout(timer);
  }, [shown]);

  if (!shown) return null;
  return (
    <div className={`nl-notice ${shown.kind}`} data-testid="nl-notice" role="status" onClick={() => setShown(null)} title="Click to dismiss">
      {shown.text}
    </div>
  );
}
