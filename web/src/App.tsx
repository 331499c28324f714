import { useEffect, useState } from "react";
import { AdminApp } from "./admin/AdminApp";
import { api, errorText } from "./lib/api";
import type { Store } from "./lib/types";
import { useRoute } from "./router";
import { OrderPage } from "./storefront/OrderPage";
import { Storefront } from "./storefront/Storefront";

export function App() {
  const route = useRoute();
  const [store, setStore] = useState<Store | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<Store>("/api/v1/store")
      .then((s) => {
        setStore(s);
        document.title = s.name;
      })
      .catch((err) => setError(errorText(err)));
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
