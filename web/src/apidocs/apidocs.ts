// `/api/docs`: the services' OpenAPI documents rendered by Swagger UI, one
// section per service on one page. This module is only loaded on that path (a
// dynamic import in main.tsx), so Swagger UI's bundle and CSS are a chunk of
// their own and the storefront never downloads them. The documents are the
// committed ones (web/public/openapi/*.json, served at /openapi/*.json): what
// `make openapi` exported from the services and the web types come from.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import "./apidocs.css";

export interface ApiDocument {
  service: string;
  title: string;
  summary: string;
  url: string;
}

export const DOCUMENTS: ApiDocument[] = [
  {
    service: "menu",
    title: "Menu service",
    summary: "Storefront, orders, staff sign-in and the menu editor (SPEC §3).",
    url: "/openapi/menu.json",
  },
  {
    service: "media",
    title: "Media service",
    summary: "Image uploads and their processing status (SPEC §3, Media).",
    url: "/openapi/media.json",
  },
];

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Render the page into `root` (replacing what is there). */
export function mountApiDocs(root: HTMLElement): void {
  document.title = "Stelly API";
  const nav = element(
    "ul",
    { className: "apidocs-toc" },
    ...DOCUMENTS.map((d) =>
      element("li", {}, element("a", { href: `#${d.service}` }, d.title), " · ", element("a", { href: d.url }, `${d.service}.json`)),
    ),
  );
  const header = element(
    "header",
    { className: "apidocs-header" },
    element("h1", {}, "Stelly API"),
    element(
      "p",
      {},
      "Every call is made on a tenant's host (",
      element("code", {}, "{slug}.<domain>"),
      "). Staff operations take ",
      element("code", {}, "Authorization: Bearer <token>"),
      " from POST /api/v1/auth/token; errors are application/problem+json with a stable ",
      element("code", {}, "code"),
      ". The realtime protocol (WebSocket /ws/v1) is described in AsyncAPI in docs/.",
    ),
    nav,
  );
  const main = element("main", { className: "apidocs" }, header);
  root.replaceChildren(main);
  for (const doc of DOCUMENTS) {
    const mount = element("div", { className: "apidocs-ui" });
    const section = element("section", { id: doc.service, className: "apidocs-service" }, element("h2", {}, doc.title), element("p", { className: "muted" }, doc.summary), mount);
    section.setAttribute("aria-label", doc.title);
    section.dataset.service = doc.service;
    main.append(section);
    SwaggerUIBundle({
      domNode: mount,
      url: doc.url,
      deepLinking: false,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      displayOperationId: false,
      tryItOutEnabled: false,
      // the default asks validator.swagger.io (a network call) for a badge
      validatorUrl: null,
      onComplete: () => {
        section.dataset.loaded = "true";
      },
    });
  }
}
