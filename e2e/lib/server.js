// Starts the scanpage binary on a fresh SQLite data dir and a free port, and stops it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** SCANPAGE_BIN, else the release build if there is one, else the debug build. */
export function binaryPath() {
  if (process.env.SCANPAGE_BIN) return resolve(process.env.SCANPAGE_BIN);
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, 'target');
  const release = join(target, 'release', 'scanpage');
  return existsSync(release) ? release : join(target, 'debug', 'scanpage');
}

/** A port nothing listens on right now (the OS picks it). */
function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** E2E_BASE_URL: a server someone else runs (scripts/prod-sim: behind its TLS proxy, on
 * PostgreSQL and Redis over TLS), started with FOUNDER_EMAILS naming `founderEmails`; nothing
 * is started or stopped here then. */
function externalServer() {
  const base = process.env.E2E_BASE_URL;
  return base ? { base: base.replace(/\/$/, ''), bin: binaryPath(), external: true, async stop() {} } : null;
}

export async function startServer({ founderEmails, logFile, smtpUrl, local = false, env = {} }) {
  const external = local ? null : externalServer();
  if (external) return external;
  const bin = binaryPath();
  if (!existsSync(bin)) {
    throw new Error(`no scanpage binary at ${bin}: build it (cargo build --release -p web) or set SCANPAGE_BIN`);
  }
  const data = mkdtempSync(join(tmpdir(), 'scanpage-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = createWriteStream(logFile);
  const child = spawn(bin, ['serve'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      SCANPAGE_DATA: data,
      PUBLIC_BASE_URL: base,
      FOUNDER_EMAILS: founderEmails,
      SMTP_URL: smtpUrl,
      ...env,
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      LOG_FORMAT: 'pretty',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`scanpage exited during start-up (${JSON.stringify(exited)}); see ${logFile}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`scanpage did not answer /healthz within 30 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    base,
    bin,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
