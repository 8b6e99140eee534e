// The inbox of the browser journeys: scripts/smtp-sink on a free loopback port, and the links in
// what Scanpage sent, read with scripts/maillib.py (Python's email package decodes what lettre
// encodes: quoted-printable, base64, multipart). Under E2E_BASE_URL the server someone else runs
// delivers to their own sink, whose folder E2E_MAIL_DIR names.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts');

export async function startInbox() {
  if (process.env.E2E_BASE_URL) {
    const dir = process.env.E2E_MAIL_DIR;
    if (!dir) throw new Error('E2E_BASE_URL needs E2E_MAIL_DIR: the folder its SMTP sink writes to');
    return inbox(dir, null, async () => {});
  }
  const work = mkdtempSync(join(tmpdir(), 'scanpage-e2e-mail-'));
  const dir = join(work, 'mail');
  const portFile = join(work, 'port');
  const child = spawn(join(scripts, 'smtp-sink'), ['--port', '0', '--dir', dir, '--port-file', portFile],
    { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile)) {
    if (Date.now() > deadline) throw new Error('scripts/smtp-sink did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const smtpUrl = `smtp://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  return inbox(dir, smtpUrl, async () => {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
    rmSync(work, { recursive: true, force: true });
  });
}

function inbox(dir, smtpUrl, stop) {
  return {
    smtpUrl,
    stop,
    /** The path of the newest link with `part` (e.g. '/verify/') emailed to `to`, once it arrives. */
    link(to, part) {
      const token = execFileSync('python3', ['-c', `
import sys; sys.path.insert(0, sys.argv[1]); import maillib
print(maillib.Inbox(sys.argv[2]).link(sys.argv[3], sys.argv[4]))`, scripts, dir, to, part], { encoding: 'utf8' }).trim();
      return `${part}${token}`;
    },
    /** How many messages were delivered to `to` so far. */
    count(to) {
      return Number(execFileSync('python3', ['-c', `
import sys; sys.path.insert(0, sys.argv[1]); import maillib
print(len(maillib.Inbox(sys.argv[2]).messages(sys.argv[3])))`, scripts, dir, to], { encoding: 'utf8' }).trim());
    },
  };
}
