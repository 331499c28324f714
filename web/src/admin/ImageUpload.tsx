import { useEffect, useId, useRef, useState } from "react";
import { ApiError, api, errorText, uploadFile } from "../lib/api";
import type { ImageAccepted, ImageOut } from "../lib/types";

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; progress: number }
  | { kind: "processing"; id: string }
  | { kind: "failed"; message: string };

const POLL_MS = 1000;
const GIVE_UP_MS = 120_000;

/**
 * Upload a photo with progress, then wait while the worker makes its variants;
 * `onReady` gets the image id once its status is `ready`.
 */
export function ImageUpload({ token, label, onReady }: { token: string; label: string; onReady(id: string): Promise<void> }) {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const inputId = useId();
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  async function start(file: File) {
    setPhase({ kind: "uploading", progress: 0 });
    try {
      const created = await uploadFile<ImageAccepted>("/api/v1/media/images", file, token, (p) => alive.current && setPhase({ kind: "uploading", progress: p }));
      setPhase({ kind: "processing", id: created.id });
      const deadline = Date.now() + GIVE_UP_MS;
      for (;;) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (!alive.current) return;
        let status: ImageOut;
        try {
          status = await api<ImageOut>(`/api/v1/media/images/${created.id}`);
        } catch (err) {
          if (err instanceof ApiError && err.status !== null && err.status < 500) throw err;
          continue; // a blip while polling: keep waiting
        }
        if (status.status === "ready") {
          await onReady(created.id);
          if (alive.current) setPhase({ kind: "idle" });
          return;
        }
        if (status.status === "failed") throw new ApiError(422, { detail: "The image could not be processed. Try another file." });
        if (Date.now() > deadline) throw new ApiError(504, { detail: "Processing is taking too long. Try again later." });
      }
    } catch (err) {
      if (alive.current) setPhase({ kind: "failed", message: errorText(err) });
    }
  }

  return (
    <div className="upload">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="file"
        accept="image/jpeg,image/png,image/webp"
        disabled={phase.kind === "uploading" || phase.kind === "processing"}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (file) void start(file);
        }}
      />
      {phase.kind === "uploading" && (
        <div role="status">
          <progress max={1} value={phase.progress} aria-label="Upload progress" /> Uploading… {Math.round(phase.progress * 100)}%
        </div>
      )}
      {phase.kind === "processing" && <p role="status" className="processing">Processing the photo…</p>}
      {phase.kind === "failed" && <p role="alert" className="error">{phase.message}</p>}
    </div>
  );
}
