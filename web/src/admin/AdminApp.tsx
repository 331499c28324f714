import { useEffect, useState } from "react";
import type { Me } from "../lib/adminTypes";
import { setUnauthorizedHandler } from "../lib/api";
import { canOpen } from "../lib/roles";
import type { Store } from "../lib/types";
import { type AdminTab, linkHandler } from "../router";
import { AdminNav } from "./AdminNav";
import { HistoryPage } from "./HistoryPage";
import { HoursPage } from "./HoursPage";
import { KitchenBoard } from "./KitchenBoard";
import { Login } from "./Login";
import { MenuEditor } from "./MenuEditor";
import { ReportsPage } from "./ReportsPage";
import { loadSession, type StaffSession, saveSession } from "./session";
import { StaffPage } from "./StaffPage";
import { useMe } from "./useMe";

export function AdminApp({ store, tab }: { store: Store; tab: AdminTab }) {
  const [session, setSession] = useState<StaffSession | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      saveSession(null);
      setSession(null);
      setNotice("Your session has ended. Please log in again.");
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  if (!session) {
    return (
      <>
        {notice && <p className="banner warn" role="alert">{notice}</p>}
        <Login
          store={store}
          onLogin={(s) => {
            saveSession(s);
            setSession(s);
            setNotice(null);
          }}
        />
      </>
    );
  }
  return (
    <StaffArea
      store={store}
      tab={tab}
      session={session}
      onLogout={() => {
        saveSession(null);
        setSession(null);
      }}
    />
  );
}

function StaffArea({ store, tab, session, onLogout }: { store: Store; tab: AdminTab; session: StaffSession; onLogout(): void }) {
  const me = useMe(session.token);
  const role = me.kind === "ready" ? me.me.role : null;
  return (
    <div className="admin">
      <header className="site admin-head">
        <h1>{store.name}</h1>
        <AdminNav tab={tab} role={role} onLogout={onLogout} />
      </header>
      {me.kind === "loading" && <p className="page" role="status">Loading your account…</p>}
      {me.kind === "failed" && <p className="page error" role="alert">{me.message}</p>}
      {me.kind === "ready" && <StaffPageFor store={store} tab={tab} me={me.me} token={session.token} />}
    </div>
  );
}

/** The page for the tab, or a refusal when the role may not open it (the route guard). */
function StaffPageFor({ store, tab, me, token }: { store: Store; tab: AdminTab; me: Me; token: string }) {
  if (!canOpen(me.role, tab)) {
    return (
      <main className="page narrow">
        <h2>Not for your account</h2>
        <p role="alert" className="error" data-testid="forbidden-page">Your account ({me.role}) cannot open this page.</p>
        <p><a href="/admin/kitchen" onClick={linkHandler("/admin/kitchen")}>Go to the kitchen board</a></p>
      </main>
    );
  }
  switch (tab) {
    case "kitchen":
      return <KitchenBoard store={store} token={token} />;
    case "menu":
      return <MenuEditor store={store} token={token} role={me.role} />;
    case "hours":
      return <HoursPage store={store} token={token} />;
    case "history":
      return <HistoryPage store={store} token={token} />;
    case "reports":
      return <ReportsPage store={store} token={token} />;
    case "staff":
      return <StaffPage token={token} me={me} timeZone={store.timezone} />;
  }
}
