// Times the dataset page COMMONS_PAGE (measure_test.go): from navigation
// to body[data-ready=1] (shown and checked) and to the lineage graph
// drawn, cold (no cache) and warm, five times each; and, as the baseline
// of the same run, the API calls the page made, fetched alone from the
// same page in the same order (the first, then the rest at once).
import assert from 'node:assert/strict';
import { base, open, run, shot, noProblems, log } from './harness.mjs';

const target = base + process.env.COMMONS_PAGE;
const runs = 5;

function median(xs) { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
function fmt(xs) { return `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`; }

async function timed(browser, cache, noGraph) {
  const page = await open(browser);
  if (noGraph) {
    await page.setRequestInterception(true);
    page.on('request', (r) => (r.url().endsWith('/assets/graph.js') ? r.respond({ status: 200, contentType: 'text/javascript', body: '' }) : r.continue()));
  }
  await page.setCacheEnabled(cache);
  await page.evaluateOnNewDocument(() => {
    new MutationObserver(() => {
      if (document.body && document.body.dataset.ready === '1' && !window.__ready) window.__ready = performance.now();
      const g = document.getElementById('lineage-graph');
      if (g && g.dataset.nodes && !window.__graph) window.__graph = performance.now();
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready', 'data-nodes'] });
  });
  const api = [];
  page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/v1/')) api.push(u.pathname + u.search); });
  return { page, api };
}

await run([
  ['time to a usable dataset page', async (browser) => {
    const result = { cold: [], warm: [], graphCold: [], graphWarm: [], api: [] };
    let calls = [];
    // One warm-up load, not counted: the node's caches and Chromium's.
    for (const cache of [false, false, ...Array(runs - 1).fill(false), ...Array(runs).fill(true)]) {
      const { page, api } = await timed(browser, cache);
      if (cache) await page.goto(target); // fill the cache
      await page.goto(target);
      await page.waitForFunction(() => window.__ready, { timeout: 60000 });
      // The graph is drawn when it comes into view: scroll to it, and time
      // from the scroll.
      await page.evaluate(() => { window.__scrolled = performance.now(); document.getElementById('lineage-graph').scrollIntoView(); });
      await page.waitForFunction(() => window.__graph, { timeout: 60000 });
      const t = await page.evaluate(() => ({ ready: window.__ready, graph: window.__graph - window.__scrolled,
        nodes: document.getElementById('lineage-graph').dataset.nodes,
        verified: Array.from(document.querySelectorAll('.verify')).map((b) => b.dataset.verified) }));
      assert.equal(t.nodes, '500', 'the graph has 500 nodes');
      assert.ok(!t.verified.includes('false'), 'nothing failed verification');
      calls = Array.from(new Set(api));
      // The baseline: the same API calls from the same page, alone.
      const alone = await page.evaluate(async (calls) => {
        const t0 = performance.now();
        const get = (u) => fetch(u, { cache: 'no-store' }).then((r) => r.arrayBuffer());
        await get(calls[0]);
        await Promise.all(calls.slice(1).map(get));
        return performance.now() - t0;
      }, Array.from(new Set(calls)));
      (cache ? result.warm : result.cold).push(t.ready);
      (cache ? result.graphWarm : result.graphCold).push(t.graph);
      result.api.push(alone);
      if (!cache && result.cold.length === 1) await shot(page, 'explorer-dataset-10000-files-500-lineage');
      noProblems(page, 'measured page');
      await page.close();
    }
    result.cold.shift(); result.graphCold.shift(); result.api.shift(); // the warm-up
    log(`API calls the page makes: ${new Set(calls).size} (${Array.from(new Set(calls)).map((u) => u.split('?')[0].replace(/\/[^/]{30,}$/, '/ID')).join(', ')})`);
    log(`measure: usable (data-ready), cold cache: ${fmt(result.cold)}`);
    log(`measure: usable (data-ready), warm cache: ${fmt(result.warm)}`);
    log(`measure: graph of 500 drawn, from the scroll to it, cold cache: ${fmt(result.graphCold)}`);
    log(`measure: graph of 500 drawn, from the scroll to it, warm cache: ${fmt(result.graphWarm)}`);
    log(`measure: baseline, the same API calls alone: ${fmt(result.api)}`);
  }],
  ['the same page without the graph, and where its time goes', async (browser) => {
    const noGraph = [];
    for (let i = 0; i < runs; i++) {
      const { page } = await timed(browser, true, true);
      await page.goto(target);
      await page.waitForFunction(() => window.__ready, { timeout: 60000 });
      noGraph.push(await page.evaluate(() => window.__ready));
      await page.close();
    }
    log(`measure: usable (data-ready) with graph.js left out, warm cache: ${fmt(noGraph)}`);
    // A CPU profile of one warm load with the graph: self time by function.
    const { page } = await timed(browser, true);
    await page.goto(target);
    await page.waitForFunction(() => window.__ready, { timeout: 60000 });
    const cdp = await page.createCDPSession();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await page.reload();
    await page.waitForFunction(() => window.__ready, { timeout: 60000 });
    await page.evaluate(() => document.getElementById('lineage-graph').scrollIntoView());
    await page.waitForFunction(() => window.__graph, { timeout: 60000 });
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = new Map();
    profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) || 0) + (profile.timeDeltas[i] || 0)));
    for (const n of profile.nodes) {
      const f = n.callFrame;
      const key = (f.functionName || '(anonymous)') + ' ' + (f.url ? f.url.replace(/^.*\//, '') : '') + (f.url ? ':' + (f.lineNumber + 1) : '');
      self.set(key, (self.get(key) || 0) + (dt.get(n.id) || 0));
    }
    const by = new Map();
    for (const [k, v] of self) { const file = k.split(' ')[1] ? k.split(' ')[1].split(':')[0] || '(native)' : '(native)'; by.set(file, (by.get(file) || 0) + v); }
    log('profile, self time by file: ' + [...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} ms`).join(', '));
    log('profile, self time by function: ' + [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} ms`).join('; '));
    await page.close();
  }],
]);
