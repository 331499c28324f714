import { useState } from "react";
import { FieldError } from "./FieldError";
import { type FormProblems, formProblems } from "./messages";
import { addDomain } from "./platformApi";
import type { Domain } from "./types";

const FIELDS = ["domain"] as const;
const NO_PROBLEMS: FormProblems = { fields: {}, form: null };

export function AddDomainForm({ token, slug, onAdded }: { token: string; slug: string; onAdded(d: Domain): void }) {
  const [domain, setDomain] = useState("");
  const [problems, setProblems] = useState<FormProblems>(NO_PROBLEMS);
  const [busy, setBusy] = useState(false);
  const problem = problems.fields.domain;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblems(NO_PROBLEMS);
    try {
      onAdded(await addDomain(token, slug, domain.trim().toLowerCase()));
      setDomain("");
    } catch (err) {
      setProblems(formProblems(err, FIELDS));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card console-form inline" onSubmit={submit} aria-labelledby="add-domain-title">
      <h2 id="add-domain-title">Add a domain</h2>
      <div className="field">
        <label>
          Domain
          <input
            name="domain"
            value={domain}
            onChange={(e) => setDomain(e.target.value)}
            placeholder="order.example.com"
            autoComplete="off"
            spellCheck={false}
            required
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? "add-domain-error" : undefined}
          />
        </label>
        <FieldError id="add-domain-error" problem={problem} />
      </div>
      {problems.form && <p className="error" role="alert">{problems.form}</p>}
      <button type="submit" className="primary" disabled={busy}>{busy ? "Adding…" : "Add domain"}</button>
    </form>
  );
}
