// The lineage graph alone (assets/graph.js over assets/vendor.js) on a
// page of 500 nodes served with the explorer's CSP: drawn, layered by
// depth, clickable, walkable by keyboard, hostile names inert, readable on
// a phone, destroyed cleanly.
import assert from 'node:assert/strict';
import { base, open, run, shot, axe, noProblems, log } from './harness.mjs';

const url = base + '/testdata/graph.html';
// graph-page.js times render() and the drawing that follows it.

async function drawn(browser, opts) {
  const page = await open(browser, opts);
  await page.goto(url);
  await page.waitForSelector('#lineage-graph[data-nodes], #lineage-graph[data-error]');
  const error = await page.$eval('#lineage-graph', (e) => e.dataset.error);
  assert.equal(error, undefined, 'the graph could not be drawn: ' + error + ' ' + page.problems.join('; '));
  return page;
}

// clickNode clicks where the node is drawn, after centring it.
async function clickNode(page, id) {
  const at = await page.evaluate((id) => {
    const el = document.getElementById('lineage-graph');
    const n = el.cy.getElementById(id);
    el.cy.center(n);
    const p = n.renderedPosition(), r = el.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, id);
  await page.mouse.click(at.x, at.y);
}

await run([
  ['500 nodes drawn, layered by depth, no error', async (browser) => {
    const page = await drawn(browser);
    const r = await page.evaluate(() => {
      const el = document.getElementById('lineage-graph');
      const rows = {};
      el.cy.nodes().forEach((n) => { (rows[n.data('depth')] = rows[n.data('depth')] || []).push(n.position('y')); });
      return { nodes: el.dataset.nodes, layout: el.dataset.layout, edges: el.cy.edges().length, ms: window.renderMs, drawn: window.drawnMs,
        want: window.testLineage.edges.length, rows };
    });
    assert.equal(r.nodes, '500');
    assert.equal(r.layout, 'dagre', 'dagre made the rows by itself');
    assert.equal(r.edges, r.want, 'every edge between drawn nodes is drawn');
    const depths = Object.keys(r.rows).map(Number).sort((a, b) => a - b);
    let last = -Infinity;
    for (const d of depths) {
      const ys = r.rows[d];
      assert.ok(Math.max(...ys) - Math.min(...ys) < 0.5, `depth ${d} is one row`);
      assert.ok(ys[0] > last, `depth ${d} is below depth ${d - 1}`);
      last = ys[0];
    }
    log(`graph: 500 nodes, ${r.edges} edges, ${depths.length} rows, render() returned in ${r.ms.toFixed(0)} ms, drawn after ${r.drawn.toFixed(0)} ms`);
    await shot(page, 'graph-500');
    noProblems(page, 'graph page');
    await page.close();
  }],
  ['below the fold, the graph is drawn when it comes into view', async (browser) => {
    const page = await open(browser);
    await page.goto(base + '/testdata/graph.html?below=1');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await page.$eval('#lineage-graph', (e) => e.dataset.nodes), undefined, 'not drawn while out of view');
    await page.$eval('#lineage-graph', (e) => e.scrollIntoView());
    await page.waitForSelector('#lineage-graph[data-nodes]');
    noProblems(page, 'below the fold');
    await page.close();
  }],
  ['a click on a node opens it', async (browser) => {
    const page = await drawn(browser);
    await clickNode(page, 'a2');
    await page.waitForFunction(() => document.getElementById('opened').textContent === 'a2');
    noProblems(page, 'click');
    await page.close();
  }],
  ['keyboard: Tab to the graph, arrows, Enter opens', async (browser) => {
    const page = await drawn(browser);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab'); // the graph
    assert.equal(await page.evaluate(() => document.activeElement.id), 'lineage-graph');
    const status = await page.$eval('#lineage-graph .graph-status', (e) => e.textContent);
    assert.match(status, /the subject/, 'focus lands on the subject and says so');
    const labels = () => page.evaluate(() => document.getElementById('lineage-graph').cy.edges('.labelled').length);
    const before = await labels();
    await page.keyboard.press('ArrowUp');
    const after = await page.evaluate(() => {
      const cy = document.getElementById('lineage-graph').cy, n = cy.nodes('.focused');
      return { labelled: cy.edges('.labelled').length, mine: n.connectedEdges().length, all: n.connectedEdges().every((e) => e.hasClass('labelled')) };
    });
    assert.ok(after.all && after.labelled === after.mine, 'the edges of the focused node say their trust in words: ' + JSON.stringify(after) + ' before ' + before);
    await page.keyboard.press('Enter');
    const opened = await page.$eval('#opened', (e) => e.textContent);
    const depth = await page.evaluate((id) => document.getElementById('lineage-graph').cy.getElementById(id).data('depth'), opened);
    assert.equal(depth, -1, 'ArrowUp then Enter opens a parent');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const next = await page.$eval('#opened', (e) => e.textContent);
    assert.match(next, /^d/, 'down twice reaches a descendant');
    const zoom0 = await page.evaluate(() => document.getElementById('lineage-graph').cy.zoom());
    await page.keyboard.press('+');
    const zoom1 = await page.evaluate(() => document.getElementById('lineage-graph').cy.zoom());
    assert.ok(zoom1 > zoom0, '+ zooms in');
    noProblems(page, 'keyboard');
    await page.close();
  }],
  ['hostile names are inert text', async (browser) => {
    const page = await drawn(browser);
    const r = await page.evaluate(() => {
      const el = document.getElementById('lineage-graph');
      return { imgs: document.querySelectorAll('img').length,
        l3: el.cy.getElementById('a3').data('label'), l4: el.cy.getElementById('a4').data('label') };
    });
    assert.equal(r.imgs, 0, 'no element made from a name');
    assert.equal(r.l3, '<img src=x onerror=alert(1)>');
    assert.ok(!/[\u0000-\u001f\u202e]/.test(r.l4), 'control and bidi characters are replaced: ' + JSON.stringify(r.l4));
    noProblems(page, 'hostile names');
    await page.close();
  }],
  ['axe-core finds nothing serious', async (browser) => {
    const page = await drawn(browser);
    await axe(page, 'graph page');
    await page.close();
  }],
  ['readable at 375x667', async (browser) => {
    const page = await drawn(browser, { width: 375, height: 667, mobile: true });
    const r = await page.evaluate(() => {
      const el = document.getElementById('lineage-graph');
      const cy = el.cy, s = cy.getElementById('subject');
      const bb = s.renderedBoundingBox();
      return { w: el.getBoundingClientRect().width, doc: document.documentElement.scrollWidth, zoom: cy.zoom(),
        inside: bb.x1 >= 0 && bb.x2 <= cy.width() && bb.y1 >= 0 && bb.y2 <= cy.height(), font: 12 * cy.zoom() };
    });
    assert.ok(r.doc <= 375, 'no sideways scrolling: ' + r.doc);
    assert.ok(r.inside, 'the subject is on screen');
    assert.ok(r.font >= 9, 'labels are drawn at a readable size: ' + r.font.toFixed(1) + ' px');
    await shot(page, 'graph-500-phone');
    noProblems(page, 'phone');
    await page.close();
  }],
  ['destroy leaves nothing behind', async (browser) => {
    const page = await drawn(browser);
    const r = await page.evaluate(() => {
      const el = document.getElementById('lineage-graph');
      window.graph.destroy();
      return { cy: 'cy' in el, nodes: 'nodes' in el.dataset, kids: el.children.length };
    });
    assert.deepEqual(r, { cy: false, nodes: false, kids: 0 });
    noProblems(page, 'destroy');
    await page.close();
  }],
]);
