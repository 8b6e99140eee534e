// Debian's Chromium driven by playwright-core, with what every journey checks on every page:
// console errors and CSP violations, axe-core, and screenshots at phone and desktop sizes.
import { chromium } from 'playwright-core';
import axe from 'axe-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const outDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };

export const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const WHATSAPP_UA = 'WhatsApp/2.23.20.0 A';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Everything the suite saw that it reports at the end (and fails on). */
export const findings = {
  consoleErrors: [], // { url, text }
  serious: [], // axe serious/critical, { url, id, impact, help, nodes }
  moderate: new Map(), // `${id}` -> { help, urls:Set }
  pagesChecked: new Set(),
  screenshots: [],
  navigations: [], // the last documents any page loaded: `${status} ${path}`, newest last
};

/** Main-frame documents remembered for a failing journey's message (where the browser was). */
const NAVIGATIONS_KEPT = 6;

/** Where external destinations "land". The test machine has no internet, so Chromium resolves
 * every `*.example.com` host to a small local server that answers with a page saying where the
 * browser arrived. (Playwright's request routing cannot do this: it sees only the first URL of a
 * redirect, and following the short link's redirect is the point.) */
export const EXTERNAL = /^http:\/\/([a-z]+\.)?example\.com\//;

function startDestinations() {
  return new Promise((ok, fail) => {
    const server = createServer((req, res) => {
      const url = `http://${req.headers.host}${req.url}`.replace(/[<>&"]/g, '');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><title>Destination</title><h1 id="landed">Landed on ${url}</h1></html>`);
    });
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

export async function launch() {
  mkdirSync(outDir, { recursive: true });
  const destinations = await startDestinations();
  const { port } = destinations.address();
  // launch() gives the browser a fresh temporary --user-data-dir of its own (removed on close);
  // several contexts (owner, phone, founder) share the one browser. HTTPS upgrades are off so
  // that http:// destinations stay on the local server.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, `--host-resolver-rules=MAP *.example.com 127.0.0.1:${port}`, '--disable-features=HttpsUpgrades'],
  });
  browser.on('disconnected', () => destinations.close());
  return browser;
}

export async function newContext(browser, base, options = {}) {
  const context = await browser.newContext({
    baseURL: base,
    userAgent: DESKTOP_UA,
    viewport: DESKTOP,
    acceptDownloads: true,
    ...options,
  });
  context.setDefaultTimeout(15_000);
  const watch = (page) => {
    page.on('console', (msg) => {
      // Errors (CSP violations are reported as errors) and warnings about the CSP.
      const text = msg.text();
      // A page answered with an error status on purpose (a wrong password is a 401 form) is
      // logged as "Failed to load resource" for the document itself: the journey asserts what
      // that page says. A failed image, script or fetch is still an error.
      if (text.startsWith('Failed to load resource') && msg.location().url === page.url()) return;
      if (msg.type() === 'error' || /Content Security Policy/i.test(text)) {
        // The resource that failed, when it is not the page itself: what to look at first.
        const resource = msg.location().url;
        findings.consoleErrors.push({ url: page.url(), text, ...(resource && resource !== page.url() ? { resource } : {}) });
      }
    });
    page.on('pageerror', (err) => findings.consoleErrors.push({ url: page.url(), text: String(err) }));
    page.on('response', (response) => {
      if (!response.request().isNavigationRequest() || response.frame() !== page.mainFrame()) return;
      const url = new URL(response.url());
      findings.navigations.push(`${response.status()} ${url.pathname}${url.search}`);
      if (findings.navigations.length > NAVIGATIONS_KEPT) findings.navigations.shift();
    });
  };
  context.on('page', watch);
  return context;
}

/** Console errors seen so far (a journey asserts none appeared during it). */
export function errorCount() {
  return findings.consoleErrors.length;
}

/** Runs axe-core in the page; serious and critical violations are recorded (and the journey
 * fails on them), moderate ones are collected for the report. Injected with `evaluate`, which
 * the page's CSP does not apply to, so the check itself adds no violation. */
export async function checkA11y(page) {
  const url = new URL(page.url());
  if (EXTERNAL.test(page.url())) return [];
  await page.evaluate(axe.source);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }));
  const key = url.pathname;
  findings.pagesChecked.add(key);
  const bad = [];
  for (const v of result.violations) {
    const entry = {
      url: key, id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(0, 2).join(' ')}`),
    };
    if (v.impact === 'serious' || v.impact === 'critical') {
      findings.serious.push(entry);
      bad.push(entry);
    } else if (v.impact === 'moderate') {
      const m = findings.moderate.get(v.id) ?? { help: v.help, urls: new Set() };
      m.urls.add(key);
      findings.moderate.set(v.id, m);
    }
  }
  return bad;
}

/** Screenshots of the page as it is, at phone and desktop sizes (full page). */
export async function screenshot(page, name) {
  const before = page.viewportSize();
  for (const [label, size] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(size);
    const file = join(outDir, `${name}-${label}.png`);
    // A full-page capture of a long page on a busy machine can outlast the 15 s default; the
    // screenshot is a record, not what the journey asserts.
    await page.screenshot({ path: file, fullPage: true, timeout: 60_000 });
    findings.screenshots.push(file);
  }
  if (before) await page.setViewportSize(before);
}

export function writeReport() {
  const lines = [];
  lines.push(`pages checked by axe: ${[...findings.pagesChecked].sort().join(', ')}`);
  lines.push(`screenshots: ${findings.screenshots.length} in ${outDir}`);
  lines.push(`axe serious/critical: ${findings.serious.length}`);
  for (const s of findings.serious) lines.push(`  ${s.impact} ${s.id} on ${s.url}: ${s.help}\n    ${s.nodes.join('\n    ')}`);
  lines.push(`axe moderate: ${findings.moderate.size}`);
  for (const [id, m] of findings.moderate) lines.push(`  ${id}: ${m.help} (${[...m.urls].sort().join(', ')})`);
  lines.push(`console errors / CSP violations: ${findings.consoleErrors.length}`);
  for (const e of findings.consoleErrors) lines.push(`  ${e.url}: ${e.text}`);
  const text = lines.join('\n');
  writeFileSync(join(outDir, 'report.txt'), `${text}\n`);
  return text;
}
