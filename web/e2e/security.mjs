// What every page of the suite is checked for: each static response of the web
// build (everything the gateway does not send to a service) carries the
// security headers of web/public/staticwebapp.config.json, and the app runs
// under its own Content-Security-Policy with no violation reported, neither as
// a `securitypolicyviolation` event nor as a console message.
import assert from "node:assert/strict";

const SECURITY_HEADERS = ["content-security-policy", "strict-transport-security", "x-content-type-options", "referrer-policy"];

/** Whether the gateway serves this path from the web build (infra/routing.json). */
export function isStatic(url, port) {
  const u = new URL(url);
  if (!["http:", "https:"].includes(u.protocol) || u.port !== String(port)) return false;
  if (u.pathname.startsWith("/api/docs")) return true;
  return !u.pathname.startsWith("/api/") && !u.pathname.startsWith("/ws/") && u.pathname !== "/healthz";
}

/** Watch a browser context; `assertClean()` fails on anything seen so far. */
export async function watchSecurity(context, port) {
  const violations = [];
  const unprotected = [];
  const statics = [];
  const images = [];
  const seen = new Set();
  context.on("request", (request) => {
    if (request.resourceType() === "image") images.push(request.url());
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  context.on("console", (msg) => {
    const text = msg.text();
    if (/securitypolicyviolation|Content Security Policy|Refused to/i.test(text)) violations.push(text);
  });
  context.on("response", async (response) => {
    if (!isStatic(response.url(), port)) return;
    const headers = await response.allHeaders().catch(() => response.headers());
    statics.push({ url: response.url(), status: response.status(), headers });
    // A hashed asset loaded again comes from Chromium's cache, which keeps no
    // Strict-Transport-Security received over plain http (as here): its first
    // response, from the gateway, is the one that must carry it.
    const again = seen.has(response.url());
    seen.add(response.url());
    const missing = SECURITY_HEADERS.filter((h) => !headers[h] && !(again && h === "strict-transport-security"));
    const csp = headers["content-security-policy"] ?? "";
    if (!/frame-ancestors 'none'/.test(csp)) missing.push("frame-ancestors");
    if (headers["x-content-type-options"] && headers["x-content-type-options"] !== "nosniff") missing.push("nosniff");
    if (missing.length) unprotected.push(`${response.url()} (${response.status()}): lacks ${missing.join(", ")}`);
  });
  return {
    violations,
    statics,
    images,
    assertClean(where) {
      assert.deepEqual(violations, [], `CSP violations reported on ${where}`);
      assert.deepEqual(unprotected, [], `static responses without the security headers on ${where}`);
    },
  };
}
