import { useEffect, useState } from "react";
import { AdminApp } from "./admin/AdminApp";
import { api, errorText } from "./lib/api";
import type { Store } from "./lib/types";
import { useRoute } from "./router";
import { OrderPage } from "./storefront/OrderPage";
import { Storefront } from "./storefront/Storefront";

const STORE_REFRESH_MS = 60_000;

export function App() {
  const route = useRoute();
  const [store, setStore] = useState<Store | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let first = true;
    const load = () =>
      api<Store>("/api/v1/store")
        .then((s) => {
          // keep the object when nothing changed, so live connections stay up
          setStore((cur) => (cur && JSON.stringify(cur) === JSON.stringify(s) ? cur : s));
          if (first) document.title = s.name;
          first = false;
        })
        .catch((err) => first && setError(errorText(err)));
    void load();
    // opening hours move `is_open` without any event: look again every minute
    const timer = setInterval(load, STORE_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

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
  if (route.page === "order") return <OrderPage store={store} orderId={route.id} />;
  return <Storefront store={store} />;
}
