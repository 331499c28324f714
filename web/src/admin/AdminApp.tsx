import { useEffect, useState } from "react";
import { setUnauthorizedHandler } from "../lib/api";
import type { Store } from "../lib/types";
import { linkHandler } from "../router";
import { KitchenBoard } from "./KitchenBoard";
import { Login } from "./Login";
import { MenuEditor } from "./MenuEditor";
import { loadSession, type StaffSession, saveSession } from "./session";

export function AdminApp({ store, tab }: { store: Store; tab: "kitchen" | "menu" }) {
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
    <div className="admin">
      <header className="site admin-head">
        <h1>{store.name}</h1>
        <nav aria-label="Staff">
          <a href="/admin/kitchen" aria-current={tab === "kitchen" ? "page" : undefined} onClick={linkHandler("/admin/kitchen")}>Kitchen board</a>
          <a href="/admin/menu" aria-current={tab === "menu" ? "page" : undefined} onClick={linkHandler("/admin/menu")}>Menu</a>
          <a href="/" >Storefront</a>
          <button
            type="button"
            className="link"
            onClick={() => {
              saveSession(null);
              setSession(null);
            }}
          >
            Log out
          </button>
        </nav>
      </header>
      {tab === "kitchen" ? <KitchenBoard store={store} token={session.token} /> : <MenuEditor store={store} token={session.token} />}
    </div>
  );
}
