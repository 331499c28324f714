import { useState } from "react";
import { errorText } from "../lib/api";
import { ConfirmDialog } from "./ConfirmDialog";
import { DnsRecords } from "./DnsRecords";
import { formatLocalTime } from "./localTime";
import { certificateText, reasonText } from "./messages";
import { removeDomain, verifyDomain } from "./platformApi";
import type { Domain } from "./types";

interface Props {
  token: string;
  slug: string;
  domain: Domain;
  onChange(d: Domain): void;
  onRemoved(name: string): void;
}

export function DomainCard({ token, slug, domain, onChange, onRemoved }: Props) {
  const [busy, setBusy] = useState<"verify" | "remove" | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const verified = domain.status === "verified";
  const certificate = certificateText(domain.certificate);
  const titleId = `domain-${domain.domain}`;

  async function verify() {
    setBusy("verify");
    setError(null);
    try {
      onChange(await verifyDomain(token, slug, domain.domain));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    setBusy("remove");
    setError(null);
    try {
      await removeDomain(token, slug, domain.domain);
      onRemoved(domain.domain);
    } catch (err) {
      setError(errorText(err));
      setBusy(null);
      setConfirming(false);
    }
  }

  return (
    <li className="card domain" data-domain={domain.domain} aria-labelledby={titleId}>
      <header>
        <h3 id={titleId}>{domain.domain}</h3>
        <span className={`badge ${verified ? "on" : "pending"}`} data-testid="domain-status">{verified ? "Verified" : "Pending"}</span>
      </header>
      <div role="status">
        {verified ? (
          <p>Serves the storefront of <code>{slug}</code>.</p>
        ) : (
          <p className="reason">{domain.reason ? reasonText(domain.reason) : "Create the records below, then verify."}</p>
        )}
        {!verified && domain.last_checked_at && (
          <p className="muted small">
            Last checked <time dateTime={domain.last_checked_at}>{formatLocalTime(domain.last_checked_at)}</time> (your time)
          </p>
        )}
      </div>
      {certificate && <p>Certificate: <strong>{certificate}</strong></p>}
      <DnsRecords domain={domain.domain} records={domain.records} />
      {error && <p className="error" role="alert">{error}</p>}
      <div className="actions">
        <button type="button" className={verified ? undefined : "primary"} onClick={verify} disabled={busy !== null}>
          {busy === "verify" ? "Verifying…" : verified ? "Verify again" : "Verify"}
          <span className="sr-only"> {domain.domain}</span>
        </button>
        <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={busy !== null}>
          Remove<span className="sr-only"> {domain.domain}</span>
        </button>
      </div>
      {confirming && (
        <ConfirmDialog title={`Remove ${domain.domain}?`} confirmLabel="Remove" busy={busy === "remove"} onConfirm={() => void remove()} onCancel={() => setConfirming(false)}>
          <p>Customers who open {domain.domain} will no longer reach {slug}'s storefront.</p>
        </ConfirmDialog>
      )}
    </li>
  );
}
