// Debian's chromium driven by playwright-core (no browser download). Playwright
// gives every launch a fresh temporary profile (it refuses --user-data-dir here).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      "--host-resolver-rules=MAP *.localhost 127.0.0.1",
    ],
  });
}

export function hasChromium() {
  return existsSync(CHROMIUM);
}
