// What every browser script shares: Debian's Chromium launched headless by
// puppeteer-core, pages that record their errors, CSP violations and any
// request that leaves the node, axe-core, and screenshots. The Go tests
// beside this file run the scripts with the environment below and fail
// when a script exits non-zero.
//
//   COMMONS_CHROMIUM     the browser (default /usr/bin/chromium)
//   COMMONS_SCREENSHOTS  where screenshots go (default testdata/out)
//   COMMONS_URL          the origin under test
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
export const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const base = process.env.COMMONS_URL;
export const outDir = process.env.COMMONS_SCREENSHOTS ||
  path.join(path.dirname(new URL(import.meta.url).pathname), 'testdata', 'out');
fs.mkdirSync(outDir, { recursive: true });

export async function launch() {
  return puppeteer.launch({
    executablePath: process.env.COMMONS_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-extensions', '--disable-background-networking', '--lang=en-US'],
    protocolTimeout: 120000,
  });
}

// open gives a page that records, in page.problems, every console error,
// uncaught exception, CSP violation, failed request and request to
// another origin than the one under test.
export async function open(browser, { width = 1280, height = 900, mobile = false } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width, height, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1 });
  page.setDefaultTimeout(30000);
  page.problems = [];
  page.dialogs = [];
  const origin = new URL(base).origin;
  page.on('console', (m) => {
    // A failed load is reported with its address by the response handler.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push('console: ' + m.text());
  });
  page.on('response', (r) => {
    // Chromium asks for /favicon.ico by itself; the pages need none.
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') page.problems.push('HTTP ' + r.status() + ': ' + r.url());
  });
  page.on('pageerror', (e) => page.problems.push('exception: ' + e.message));
  page.on('dialog', async (d) => { page.dialogs.push(d.message()); await d.dismiss(); });
  page.on('requestfailed', (r) => {
    const why = r.failure() ? r.failure().errorText : '';
    if (why !== 'net::ERR_ABORTED') page.problems.push('request failed: ' + r.url() + ' ' + why);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) {
      page.problems.push('request outside the node: ' + u);
    }
  });
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
    });
  });
  return page;
}

export function noProblems(page, what) {
  assert.deepEqual(page.problems, [], what + ': the page reported problems');
  assert.deepEqual(page.dialogs, [], what + ': the page opened a dialog');
}

// axe runs axe-core on the page and fails on a serious or critical
// violation. It is injected through the DevTools protocol, which the
// page's CSP does not govern.
export async function axe(page, what) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + n.failureSummary) }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of res) log(`axe ${what}: ${v.impact} ${v.id} (${v.help})`);
  assert.deepEqual(bad, [], `axe-core on ${what}: serious or critical violations`);
}

export async function shot(page, name) {
  const file = path.join(outDir, name + '.png');
  await page.screenshot({ path: file, fullPage: false });
  log('screenshot ' + file);
  return file;
}

export function log(...a) { console.log(...a); }

// run calls each step in turn, saying which one failed, and closes the
// browser whatever happens.
export async function run(steps) {
  const browser = await launch();
  let failed = 0;
  try {
    for (const [name, fn] of steps) {
      const t0 = Date.now();
      try {
        await fn(browser);
        log(`ok   ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
      }
    }
  } finally {
    await browser.close();
  }
  if (failed) process.exit(1);
}
