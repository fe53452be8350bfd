// The explorer of a node holding the README walkthrough's data, driven as a
// person would drive it: search, the dataset, the lineage graph to the
// parent, a contributor, governance, the node; by keyboard alone; on a
// phone-sized screen; with axe-core on every page; a hostile dataset
// name; deep links and unknown paths. COMMONS_WALK names the objects
// (explorer_test.go).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { base, open, run, shot, axe, noProblems, log } from './harness.mjs';

const w = JSON.parse(process.env.COMMONS_WALK);
const enc = encodeURIComponent;

// ready waits until the page says its data is drawn and checked, and
// fails with the page's own message when it says it could not.
async function ready(page) {
  try {
    await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.ready === 'error', { timeout: 60000 });
  } catch (e) {
    const badges = await page.$$eval('.verify', (bs) => bs.map((b) => b.dataset.verified).join(',')).catch(() => '');
    throw new Error(`${page.url()} (${page.viewport().width} px wide) never said it was ready (verification badges: ${badges}; problems: ${page.problems.join('; ')})`);
  }
  const state = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: (document.getElementById('error') || {}).textContent }));
  assert.equal(state.ready, '1', `${page.url()} is in error: ${state.error}`);
}

async function visit(page, p) {
  await page.bringToFront(); // a page behind another is throttled by Chromium
  const res = await page.goto(base + p);
  assert.ok(res.status() === 200 || res.status() === 304, `GET ${p}: ${res.status()}`);
  await ready(page);
}

// graphDrawn scrolls to the lineage graph and waits until it is drawn,
// saying what the section holds when it is not.
async function graphDrawn(page) {
  await page.$eval('#lineage-graph', (e) => e.scrollIntoView());
  try {
    await page.waitForSelector('#lineage-graph[data-nodes]', { timeout: 15000 });
  } catch (e) {
    const html = await page.$eval('#lineage', (e) => e.outerHTML.slice(0, 800));
    throw new Error('the graph was not drawn: ' + html + ' problems: ' + page.problems.join('; '));
  }
}

async function text(page, sel) {
  return page.$eval(sel, (e) => e.textContent);
}

// skeleton checks what every page has: one h1, main, the skip link, the
// navigation and the search form.
async function skeleton(page, what) {
  const s = await page.evaluate(() => ({
    h1: document.querySelectorAll('h1').length,
    main: !!document.querySelector('main#main'),
    skip: !!document.querySelector('a[href="#main"]'),
    nav: ['/', '/governance', '/node'].every((h) => document.querySelector(`nav a[href="${h}"]`)),
    search: !!document.querySelector('form#search[role=search] input#q[name=q]'),
  }));
  assert.deepEqual(s, { h1: 1, main: true, skip: true, nav: true, search: true }, what + ': the page skeleton');
}

// verified checks that every answer on the page that was checked passed,
// and that at least one was.
async function verified(page, what) {
  const v = await page.$$eval('.verify', (bs) => bs.map((b) => b.dataset.verified));
  assert.ok(v.includes('true'), `${what}: no answer marked verified (${v.join(',')})`);
  assert.ok(!v.includes('false') && !v.includes('pending'), `${what}: an answer not verified (${v.join(',')})`);
}

// openNode clicks a node of the lineage graph where it is drawn: the
// graph in view, the node centred, once the browser has drawn a frame
// (cytoscape maps the mouse through the container's place on the page,
// which it learns again after a scroll or a resize).
async function openNode(page, id) {
  await page.bringToFront();
  await graphDrawn(page);
  const at = await page.evaluate(async (id) => {
    const el = document.getElementById('lineage-graph');
    const n = el.cy.getElementById(id);
    if (n.empty()) return null;
    el.cy.center(n);
    el.cy.resize();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const p = n.renderedPosition(), r = el.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, id);
  assert.ok(at, `the graph has no node ${id}`);
  await Promise.all([page.waitForNavigation(), page.mouse.click(at.x, at.y)]);
  await ready(page);
}

// tabTo presses Tab until the focused element matches sel.
async function tabTo(page, sel, limit = 400) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement && document.activeElement.matches(sel), sel)) return i + 1;
  }
  throw new Error(`${limit} presses of Tab never reached ${sel}`);
}

const pages = () => [
  ['home', '/'],
  ['search', '/search?q=' + enc('corpus')],
  ['dataset', '/dataset/' + w.cleaned],
  ['parent dataset', '/dataset/' + w.corpus],
  ['derivation', '/object/' + w.model],
  ['contributor', '/did/' + enc(w.alice)],
  ['governance', '/governance'],
  ['node', '/node'],
];

await run([
  ['search, the dataset, the lineage to the parent, a contributor, governance', async (browser) => {
    const page = await open(browser);
    await visit(page, '/');
    await skeleton(page, 'home');
    const newest = await page.$$eval('#results li a', (as) => as.map((a) => a.textContent));
    assert.ok(newest.some((t) => t.includes('Welsh corpus, cleaned')), 'the home page lists the datasets held: ' + newest.join(' | '));
    await shot(page, 'explorer-home');

    await page.type('#q', 'cleaned');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await ready(page);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/search?q=cleaned');
    const hits = await page.$$eval('ul#results > li > a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    const hit = hits.find(([t]) => t.includes('Welsh corpus, cleaned'));
    assert.ok(hit, 'searching "cleaned" finds the cleaned corpus: ' + JSON.stringify(hits));
    await shot(page, 'explorer-search');

    await Promise.all([page.waitForNavigation(), page.click(`ul#results > li > a[href="${hit[1]}"]`)]);
    await ready(page);
    assert.equal(new URL(page.url()).pathname, '/dataset/' + w.cleaned);
    await skeleton(page, 'dataset');
    assert.equal(await text(page, 'h1'), 'Welsh corpus, cleaned');
    const summary = await text(page, '#summary');
    for (const want of ['Welsh corpus, cleaned', 'CC-BY-4.0', w.node, '40 files']) {
      assert.ok(summary.includes(want), `#summary shows ${want}: ${summary}`);
    }
    assert.equal(await page.$eval('a.raw', (a) => a.getAttribute('href')), '/v1/objects/' + w.cleaned);
    assert.equal(await page.$eval('a.bundle', (a) => a.getAttribute('href')), '/v1/bundle/' + w.cleaned);
    assert.equal(await page.$('.source'), null, 'a local answer does not say it came from the network');
    const files = await page.$$eval('#files tbody tr', (r) => r.length);
    assert.equal(files, 40, 'the 40 files are listed');
    const contributors = await page.$$eval('#contributors tr[data-did]', (rows) => rows.map((r) => ({
      did: r.dataset.did, trust: r.querySelector('.trust').textContent.trim(), title: r.querySelector('.trust').title,
      link: !!r.querySelector('a[href^="/did/"]'),
    })));
    const levels = contributors.map((c) => c.trust).sort();
    for (const level of ['acknowledged', 'asserted', 'certified', 'mutual', 'revoked']) {
      assert.ok(levels.includes(level), `a contributor at ${level}: ${levels}`);
    }
    for (const c of contributors) {
      assert.ok(c.link, 'each contributor links to its page');
      assert.ok(c.title.length > 20, `the ${c.trust} badge says what it proves: ${c.title}`);
    }
    assert.ok(contributors.some((c) => c.did === w.alice && c.trust === 'mutual'), 'alice\'s claim is mutual');
    assert.ok((await text(page, '#credit')).length > 0, '#credit is shown');
    const derived = await text(page, '#derived');
    assert.ok(derived.includes('<img src=x onerror=alert(1)>'), 'what was made from it lists the hostile child as text: ' + derived);
    const list = await page.$$eval('#lineage ul#lineage-list a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(list.includes('/dataset/' + w.corpus), 'the lineage list links to the parent: ' + list);
    await verified(page, 'dataset');
    assert.equal(await page.$eval('#lineage-graph', (e) => e.dataset.nodes), undefined, 'the graph waits until it is in view');
    await graphDrawn(page);
    const n = Number(await page.$eval('#lineage-graph', (e) => e.dataset.nodes));
    assert.ok(n >= 4, 'the graph draws the parent, the subject, the child and the derivation: ' + n);
    await shot(page, 'explorer-dataset');
    await page.$eval('#lineage', (e) => e.scrollIntoView());
    await shot(page, 'explorer-lineage');

    // The README's picture (docs/explorer-dataset.png): contributors,
    // credit, what was made from it and the lineage graph.
    const readme = await open(browser, { width: 1100, height: 1250 });
    await visit(readme, '/dataset/' + w.cleaned);
    await readme.$eval('#contributors-sec', (e) => e.scrollIntoView());
    await readme.waitForSelector('#lineage-graph[data-nodes]');
    await shot(readme, 'explorer-readme');
    await readme.close();

    await openNode(page, w.corpus);
    assert.equal(new URL(page.url()).pathname, '/dataset/' + w.corpus, 'a click on the parent in the graph opens it');
    assert.equal(await text(page, 'h1'), 'Welsh broadcast corpus');
    assert.match(await text(page, '#summary'), /flagged|open|none/i, 'the parent shows its standing');
    await verified(page, 'parent');
    await page.goBack();
    await ready(page);

    const alice = `#contributors tr[data-did="${w.alice}"] a[href^="/did/"]`;
    await Promise.all([page.waitForNavigation(), page.click(alice)]);
    await ready(page);
    assert.equal(decodeURIComponent(new URL(page.url()).pathname), '/did/' + w.alice);
    const claims = await page.$$eval('#claims tr[data-claim]', (rows) => rows.map((r) => ({ id: r.dataset.claim, revoked: r.classList.contains('revoked') })));
    assert.ok(claims.some((c) => c.id === w.revoked_claim && c.revoked), 'alice\'s revoked claim is marked .revoked: ' + JSON.stringify(claims));
    assert.ok(claims.some((c) => c.id === w.mutual_claim && !c.revoked), 'alice\'s mutual claim is listed: ' + JSON.stringify(claims));
    await shot(page, 'explorer-did');

    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/governance"]')]);
    await ready(page);
    const gov = await page.evaluate(() => Object.fromEntries(['stewards', 'threshold', 'revoked', 'standings', 'proposals', 'log', 'state-hash']
      .map((id) => [id, document.getElementById(id) ? document.getElementById(id).outerHTML : null])));
    for (const [id, html] of Object.entries(gov)) assert.ok(html, `#${id} is on the governance page`);
    assert.ok(gov.stewards.includes(w.node) && gov.stewards.includes(w.bob), 'both stewards are listed');
    assert.match(gov.threshold, />\s*2\b/, 'the threshold is 2');
    assert.ok(gov.revoked.includes(w.carol), 'carol\'s key is revoked');
    assert.ok(gov.proposals.includes(w.open_proposal) || gov.proposals.includes(w.open_proposal.slice(0, 14)), 'the open proposal is listed');
    assert.match(gov.proposals, /open/);
    assert.match(await text(page, '#state-hash'), /\S{16,}/, 'the state hash is shown');
    await shot(page, 'explorer-governance');

    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/node"]')]);
    await ready(page);
    for (const id of ['network', 'peers', 'objects', 'health']) {
      assert.ok((await text(page, '#' + id)).trim().length > 0, `#${id} is shown on the node page`);
    }
    await shot(page, 'explorer-node');
    noProblems(page, 'the walk');
    await page.close();
  }],

  ['keyboard only: skip link, search, result, graph, parent', async (browser) => {
    const page = await open(browser);
    await visit(page, '/');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#main', 'the first Tab reaches the skip link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id || document.activeElement.closest('#main') && 'main'), 'main', 'the skip link moves focus to main');
    await visit(page, '/');
    await tabTo(page, '#q');
    await page.keyboard.type('cleaned');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await ready(page);
    await tabTo(page, `#results a[href="/dataset/${w.cleaned}"]`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await ready(page);
    const presses = await tabTo(page, '#lineage-graph');
    await page.waitForSelector('#lineage-graph[data-nodes]');
    log(`keyboard: ${presses} presses of Tab from the top of the dataset page to the graph`);
    const focusRing = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(focusRing, 'none', 'the focused graph shows a focus ring');
    await page.keyboard.press('ArrowUp');
    const status = await page.$eval('#lineage-graph .graph-status', (e) => e.textContent);
    assert.match(status, /Welsh broadcast corpus/, 'ArrowUp from the subject reaches the parent: ' + status);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await ready(page);
    assert.equal(new URL(page.url()).pathname, '/dataset/' + w.corpus);
    noProblems(page, 'keyboard');
    await page.close();
  }],

  ['axe-core on every page, and every page fits 375x667', async (browser) => {
    const desk = await open(browser);
    const phone = await open(browser, { width: 375, height: 667, mobile: true });
    const overflow = [];
    for (const [name, p] of pages()) {
      await visit(desk, p);
      await skeleton(desk, name);
      await axe(desk, name);
      await visit(phone, p);
      const wide = await phone.evaluate(() => {
        const out = Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > 375.5)
          .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '') +
            ' right=' + e.getBoundingClientRect().right.toFixed(0));
        return { width: document.documentElement.scrollWidth, out };
      });
      if (wide.width > 375) overflow.push(`${name} scrolls sideways at 375 px: ${wide.width} px wide; past the edge: ${wide.out.join(', ')}`);
      await axe(phone, name + ' (375x667)');
      if (name === 'dataset' || name === 'governance') await shot(phone, `explorer-${name.replace(/ /g, '-')}-phone`);
    }
    assert.deepEqual(overflow, [], 'every page fits 375 px');
    noProblems(desk, 'desktop pages');
    noProblems(phone, 'phone pages');
    await desk.close();
    await phone.close();
  }],

  ['a hostile dataset name is inert text', async (browser) => {
    const page = await open(browser);
    await visit(page, '/dataset/' + w.hostile);
    const r = await page.evaluate(() => ({
      h1: document.querySelector('h1').textContent,
      imgs: document.querySelectorAll('img').length,
      title: document.title,
    }));
    assert.equal(r.imgs, 0, 'no element was made from the name');
    assert.ok(r.h1.includes('<img src=x onerror=alert(1)>'), 'the name shows as text: ' + JSON.stringify(r.h1));
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(r.h1), 'no control or bidi character reaches the screen: ' + JSON.stringify(r.h1));
    await verified(page, 'hostile dataset');
    await visit(page, '/search?q=' + enc('onerror'));
    const hits = await page.$$eval('#results a', (as) => as.map((a) => a.textContent));
    assert.ok(hits.some((t) => t.includes('<img src=x onerror=alert(1)>')), 'search finds it and shows it as text: ' + hits);
    assert.equal(await page.$$eval('img', (i) => i.length), 0);
    await shot(page, 'explorer-hostile');
    noProblems(page, 'hostile name');
    await page.close();
  }],

  ['a file chosen on the page is hashed in the browser and located', async (browser) => {
    const page = await open(browser);
    await visit(page, '/');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-explorer-'));
    const f = path.join(dir, w.file_name);
    fs.writeFileSync(f, w.file_body);
    const input = await page.$('input#file[type=file]');
    assert.ok(input, 'the home page has input#file');
    assert.ok(await page.$('#drop'), 'the home page has a drop zone #drop');
    await Promise.all([page.waitForNavigation(), input.uploadFile(f)]);
    await ready(page);
    assert.equal(new URL(page.url()).search, '?q=' + w.file_sha256, 'the digest goes to /search?q=');
    const hits = await page.$$eval('#results a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hits.includes('/dataset/' + w.corpus), 'the corpus holding the file is found: ' + hits);
    fs.rmSync(dir, { recursive: true });
    noProblems(page, 'file hashing');
    await page.close();
  }],

  ['deep links load, unknown paths are 404, an unknown ID says so', async (browser) => {
    const page = await open(browser);
    for (const [, p] of pages()) {
      const res = await page.goto(base + p);
      assert.ok(res.status() === 200 || res.status() === 304, 'deep link ' + p + ': ' + res.status());
      await ready(page);
    }
    await visit(page, '/object/' + w.model);
    assert.ok((await text(page, 'main')).includes('trained-on'), 'the derivation page shows its activity');
    for (const p of ['/nope', '/dataset', '/assets/none.js']) {
      const res = await page.goto(base + p);
      assert.equal(res.status(), 404, 'GET ' + p);
    }
    page.problems = page.problems.filter((x) => !/HTTP 404/.test(x));
    noProblems(page, 'deep links');
    await page.close();
  }],
]);
