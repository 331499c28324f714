import { useEffect, useState } from "react";
import { errorText } from "../lib/api";
import { linkHandler } from "../router";
import { AddDomainForm } from "./AddDomainForm";
import { DomainCard } from "./DomainCard";
import { listDomains } from "./platformApi";
import type { Domain } from "./types";

export function DomainsPage({ token, slug }: { token: string; slug: string }) {
  const [domains, setDomains] = useState<Domain[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");

  useEffect(() => {
    let live = true;
    setDomains(null);
    listDomains(token, slug)
      .then((d) => live && setDomains(d))
      .catch((err) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [token, slug]);

  const put = (d: Domain) =>
    setDomains((cur) => (cur?.some((x) => x.domain === d.domain) ? cur.map((x) => (x.domain === d.domain ? d : x)) : [...(cur ?? []), d]));

  return (
    <main className="page console-page">
      <p><a href="/" onClick={linkHandler("/")}>← All tenants</a></p>
      <h1>Domains of <code>{slug}</code></h1>
      <p className="muted">
        A custom domain serves this tenant's storefront once verified: the restaurant creates the records below at its DNS provider, then you verify.
      </p>
      <p role="status" className={notice ? "banner on" : "sr-only"}>{notice}</p>
      <AddDomainForm
        token={token}
        slug={slug}
        onAdded={(d) => {
          put(d);
          setNotice(`${d.domain} added. Create its DNS records, then verify.`);
        }}
      />
      {error && <p className="error" role="alert">{error}</p>}
      {domains === null && !error && <p className="muted" role="status">Loading domains…</p>}
      {domains?.length === 0 && <p className="muted">No custom domains yet.</p>}
      {domains && domains.length > 0 && (
        <ul className="domains" aria-label="Domains">
          {domains.map((d) => (
            <DomainCard
              key={d.domain}
              token={token}
              slug={slug}
              domain={d}
              onChange={put}
              onRemoved={(name) => {
                setDomains((cur) => cur?.filter((x) => x.domain !== name) ?? null);
                setNotice(`${name} removed.`);
              }}
            />
          ))}
        </ul>
      )}
    </main>
  );
}
