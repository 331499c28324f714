// The platform console (SPEC §10): the operator's pages on `console.{base domain}`.
import { useEffect, useState } from "react";
import { setUnauthorizedHandler } from "../lib/api";
import { linkHandler } from "../router";
import "./console.css";
import { ConsoleLogin } from "./ConsoleLogin";
import { DomainsPage } from "./DomainsPage";
import { type ConsoleSession, loadConsoleSession, saveConsoleSession } from "./session";
import { TenantsPage } from "./TenantsPage";
import { useConsoleRoute } from "./useConsoleRoute";

export default function ConsoleApp() {
  const route = useConsoleRoute();
  const [session, setSession] = useState<ConsoleSession | null>(loadConsoleSession);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    document.title = "Stelly console";
    setUnauthorizedHandler(() => {
      saveConsoleSession(null);
      setSession(null);
      setNotice("Your session has ended. Please log in again.");
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  if (!session) {
    return (
      <>
        {notice && <p className="banner warn" role="alert">{notice}</p>}
        <ConsoleLogin
          onLogin={(s) => {
            saveConsoleSession(s);
            setSession(s);
            setNotice(null);
          }}
        />
      </>
    );
  }

  return (
    <div className="console">
      <header className="site console-head">
        <p className="brand"><a href="/" onClick={linkHandler("/")}>Stelly console</a></p>
        <nav aria-label="Console">
          <a href="/" aria-current={route.page === "tenants" ? "page" : undefined} onClick={linkHandler("/")}>Tenants</a>
          <span className="muted small">{session.email}</span>
          <button
            type="button"
            className="link"
            onClick={() => {
              saveConsoleSession(null);
              setSession(null);
            }}
          >
            Log out
          </button>
        </nav>
      </header>
      {route.page === "domains" ? <DomainsPage token={session.token} slug={route.slug} /> : <TenantsPage token={session.token} />}
    </div>
  );
}
