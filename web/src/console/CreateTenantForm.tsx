import { useState } from "react";
import { FieldError } from "./FieldError";
import { tenantBaseHost } from "./host";
import { type FormProblems, formProblems } from "./messages";
import { createTenant } from "./platformApi";
import type { NewTenant, Tenant } from "./types";

const FIELDS = ["slug", "name", "owner_email", "owner_password"] as const;
type Field = (typeof FIELDS)[number];
const NO_PROBLEMS: FormProblems = { fields: {}, form: null };

export function CreateTenantForm({ token, onCreated }: { token: string; onCreated(t: Tenant): void }) {
  const [values, setValues] = useState<Record<Field, string>>({ slug: "", name: "", owner_email: "", owner_password: "" });
  const [problems, setProblems] = useState<FormProblems>(NO_PROBLEMS);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const body: NewTenant = { slug: values.slug.trim(), name: values.name.trim() };
    if (values.owner_email.trim()) body.owner_email = values.owner_email.trim();
    if (values.owner_password) body.owner_password = values.owner_password;
    setBusy(true);
    setProblems(NO_PROBLEMS);
    try {
      const tenant = await createTenant(token, body);
      setValues({ slug: "", name: "", owner_email: "", owner_password: "" });
      onCreated(tenant);
    } catch (err) {
      setProblems(formProblems(err, FIELDS));
    } finally {
      setBusy(false);
    }
  }

  function input(field: Field, label: string, props: React.InputHTMLAttributes<HTMLInputElement>, hint?: React.ReactNode) {
    const problem = problems.fields[field];
    const errorId = `new-tenant-${field}-error`;
    const hintId = `new-tenant-${field}-hint`;
    const describedBy = [hint ? hintId : null, problem ? errorId : null].filter(Boolean).join(" ");
    return (
      <div className="field">
        <label>
          {label}
          <input
            name={field}
            value={values[field]}
            onChange={(e) => setValues((v) => ({ ...v, [field]: e.target.value }))}
            {...props}
            aria-invalid={problem ? true : undefined}
            aria-describedby={describedBy || undefined}
          />
        </label>
        {hint && <span id={hintId} className="muted small">{hint}</span>}
        <FieldError id={errorId} problem={problem} />
      </div>
    );
  }

  return (
    <form className="card console-form new-tenant" onSubmit={submit} aria-labelledby="new-tenant-title">
      <h2 id="new-tenant-title">New tenant</h2>
      {input("slug", "Slug", { required: true, autoComplete: "off", spellCheck: false }, <>Lower-case letters, digits and hyphens: the storefront's address, <code>{values.slug || "slug"}.{tenantBaseHost(location.host)}</code></>)}
      {input("name", "Name", { required: true, autoComplete: "off" })}
      <fieldset>
        <legend>Owner (optional)</legend>
        {input("owner_email", "Owner e-mail", { type: "email", autoComplete: "off" })}
        {input("owner_password", "Owner password", { type: "password", autoComplete: "new-password" })}
      </fieldset>
      {problems.form && <p className="error" role="alert">{problems.form}</p>}
      <button type="submit" className="primary" disabled={busy}>{busy ? "Creating…" : "Create tenant"}</button>
    </form>
  );
}
