import { useEffect, useState } from "react";
import type { AdminStoreSettings } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";

interface Props {
  token: string;
  closedNow: boolean;
  onChanged(settings: AdminStoreSettings): void;
  onError(message: string): void;
}

/** Stop taking orders now, whatever the hours say (and start again): saved at once. */
export function ClosedNowSwitch({ token, closedNow, onChanged, onError }: Props) {
  const [busy, setBusy] = useState(false);
  // the switch flips at once; a refusal flips it back
  const [shown, setShown] = useState(closedNow);
  useEffect(() => setShown(closedNow), [closedNow]);
  return (
    <div className={`card closed-now-card${shown ? " closed" : ""}`}>
      <label className="switch big">
        <input
          type="checkbox"
          role="switch"
          checked={shown}
          disabled={busy}
          onChange={async (e) => {
            const want = e.target.checked;
            setShown(want);
            setBusy(true);
            try {
              onChanged(await api<AdminStoreSettings>("/api/v1/admin/store", { method: "PATCH", token, body: { closed_now: want } }));
            } catch (err) {
              setShown(closedNow);
              onError(errorText(err));
            } finally {
              setBusy(false);
            }
          }}
        />
        <span>Closed now</span>
      </label>
      <p className="muted small">
        {shown ? "The storefront says Closed now and takes no orders until you switch this off." : "Switch on to stop taking orders right away (a rush, a power cut). The hours below apply while it is off."}
      </p>
    </div>
  );
}
