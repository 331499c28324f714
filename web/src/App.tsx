import { lazy, Suspense } from "react";
import { AcceptInvite } from "./admin/AcceptInvite";
import { AdminApp } from "./admin/AdminApp";
import { isConsoleHost } from "./console/host";
import { useRoute } from "./router";
import { OrderPage } from "./storefront/OrderPage";
import { Storefront } from "./storefront/Storefront";
import { useStore } from "./useStore";

// the platform console (console.* hosts) is a chunk of its own: storefronts never load it
const ConsoleApp = lazy(() => import("./console/ConsoleApp"));

export function App() {
  // a page's host never changes while it lives, so the hooks below keep their order
  if (isConsoleHost(location.hostname)) {
    return (
      <Suspense fallback={<p className="loading" role="status">Loading…</p>}>
        <ConsoleApp />
      </Suspense>
    );
  }
  const route = useRoute();
  // refetched when the hours turn, on `store.updated`, and every 5 minutes
  const { store, error, storeUpdated, refresh } = useStore();

  if (error) {
    return (
      <main className="page narrow">
        <h1>Stelly</h1>
        <p role="alert" className="error">{error}</p>
      </main>
    );
  }
  if (!store) return <p className="loading" role="status">Loading…</p>;
  if (route.page === "admin") return <AdminApp store={store} tab={route.tab} />;
  if (route.page === "accept") return <AcceptInvite store={store} token={route.token} />;
  if (route.page === "order") return <OrderPage store={store} orderId={route.id} />;
  return <Storefront store={store} onStoreUpdated={storeUpdated} onStoreStale={refresh} />;
}
