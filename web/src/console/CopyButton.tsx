import { useEffect, useState } from "react";
import { copyText } from "./clipboard";

const SHOWN_MS = 2_000;

/** A button that copies `text`; what happened is announced and shown for a moment. */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");

  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [state]);

  return (
    <span className="copy">
      <button type="button" className="small-button" onClick={async () => setState((await copyText(text)) ? "copied" : "failed")}>
        Copy<span className="sr-only"> {what}</span>
      </button>
      <span role="status" className="small">{state === "copied" ? "Copied" : state === "failed" ? "Select and copy it by hand" : ""}</span>
    </span>
  );
}
