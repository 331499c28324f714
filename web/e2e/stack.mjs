// Start the stack `make run` starts (`stelly dev`) on free ports with a temporary
// state directory, like tests/test_e2e_stack.py; stop it with SIGINT afterwards.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, chmodSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function tryPort(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", () => res(null));
    srv.listen(port, "127.0.0.1", () => {
      const { port: bound } = srv.address();
      srv.close(() => res(bound));
    });
  });
}

const given = new Set();

// A port nothing listens on, for a server to bind later. Picked below the
// kernel's ephemeral range (32768 and up on Linux), as stelly_core.localstack's
// free_port does: a port from listen(0) lies inside it, and an outgoing
// connection of any process could take it before the server binds it.
async function freePort() {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (given.has(port)) continue;
    if ((await tryPort(port)) === port) {
      given.add(port);
      return port;
    }
  }
  const port = await tryPort(0);
  if (port === null) throw new Error("no free port on 127.0.0.1");
  given.add(port);
  return port;
}

/**
 * `STELLY_E2E_PORT=<gateway port>` uses a stack that is already running (for
 * working on the tests); otherwise one is started and `stop()` ends it.
 */
export async function startStack() {
  if (process.env.STELLY_E2E_PORT) {
    // STELLY_E2E_STATE_DIR: that stack's state directory (for `stelly` commands against it)
    return { port: Number(process.env.STELLY_E2E_PORT), stateDir: process.env.STELLY_E2E_STATE_DIR, stop: async () => undefined, log: () => "" };
  }
  const stelly = join(REPO, ".venv", "bin", "stelly");
  if (!existsSync(stelly)) throw new Error(`${stelly} is missing: run 'make sync' (or scripts/uv.sh sync) first`);
  const state = mkdtempSync(join(tmpdir(), "stelly-web-e2e-"));
  chmodSync(state, 0o755);
  const ports = {};
  for (const name of ["gateway", "menu", "realtime", "media", "platform", "azurite"]) ports[name] = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("STELLY_") && !k.startsWith("KZ_")));
  env.STELLY_STATE_DIR = state;
  const logPath = join(state, "stack.log");
  const out = openSync(logPath, "w");
  const proc = spawn(
    stelly,
    ["dev", "--port", ports.gateway, "--menu-port", ports.menu, "--realtime-port", ports.realtime, "--media-port", ports.media, "--platform-port", ports.platform, "--azurite-port", ports.azurite].map(String),
    { cwd: REPO, env, stdio: ["ignore", out, out] },
  );
  let exited = null;
  proc.on("exit", (code, signal) => (exited = { code, signal }));
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  const deadline = Date.now() + 180_000;
  while (!log().includes("Stelly is running")) {
    if (exited || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`stack did not start:\n${log().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  async function stop() {
    if (exited) return;
    const done = new Promise((r) => proc.on("exit", r));
    proc.kill("SIGINT");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
    await done;
    clearTimeout(timer);
    if (!process.env.STELLY_E2E_KEEP) rmSync(state, { recursive: true, force: true });
  }
  return { port: ports.gateway, stateDir: state, stop, log };
}
