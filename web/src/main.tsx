import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { isApiDocs } from "./router";
import "./styles.css";

const root = document.getElementById("root")!;

if (isApiDocs(location.pathname)) {
  // the API reference: its renderer is a chunk of its own, loaded only here
  void import("./apidocs/apidocs").then(({ mountApiDocs }) => mountApiDocs(root));
} else {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
