import { useId, useState } from "react";
import { formatDateTime } from "../lib/storeTime";

/** A link to hand over (invitation, password reset) with a copy button. */
export function CopyLink({ label, url, expiresAt, timeZone }: { label: string; url: string; expiresAt?: string; timeZone: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const id = useId();
  return (
    <div className="copy-link" role="group" aria-labelledby={`${id}-l`}>
      <span id={`${id}-l`} className="copy-label">{label}</span>
      <input id={id} readOnly value={url} aria-labelledby={`${id}-l`} onFocus={(e) => e.target.select()} data-testid="copy-link-url" />
      <button
        type="button"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(url);
            setCopied("yes");
          } catch {
            setCopied("no");
          }
        }}
      >
        Copy link
      </button>
      <span role="status" className="muted small">
        {copied === "yes" ? "Copied." : copied === "no" ? "Copying is blocked here: select the link and copy it." : ""}
        {expiresAt && !copied ? `Valid until ${formatDateTime(expiresAt, timeZone)}.` : ""}
      </span>
    </div>
  );
}
