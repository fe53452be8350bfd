// Builds a lineage of ?n= nodes (500 by default) shaped like the answer of
// GET /v1/lineage/{id}, draws it with CommonsGraph and records in
// #opened what onOpen was called with. Deterministic: the same n gives the
// same graph.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var n = Number(params.get('n') || 500);
  var seed = 7;
  function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }
  var levels = ['certified', 'mutual', 'acknowledged', 'asserted', 'revoked', null];
  var kinds = ['parent', 'input', 'made'];
  var nodes = [{ id: 'subject', kind: 'dataset', name: 'the subject', label: 'the subject', depth: 0, standing: 'good' }];
  var byDepth = { 0: ['subject'] };
  var up = Math.floor((n - 1) * 0.4);
  for (var i = 1; i < n; i++) {
    var anc = i <= up;
    var d = anc ? -1 - Math.floor(4 * i / (up + 1)) : 1 + Math.floor(3 * (i - up - 1) / (n - up));
    var id = (anc ? 'a' : 'd') + i;
    var name = i === 3 ? '<img src=x onerror=alert(1)>' : i === 4 ? 'evil\u202egnp.exe\u001b[31m' : (anc ? 'ancestor ' : 'descendant ') + i;
    nodes.push({ id: id, kind: i % 17 === 0 ? 'derivation' : 'dataset', name: name, label: name, depth: d,
      standing: i % 29 === 0 ? 'disputed' : 'good' });
    (byDepth[d] = byDepth[d] || []).push(id);
  }
  var edges = [];
  nodes.forEach(function (nd) {
    if (nd.depth === 0) return;
    var toward = nd.depth < 0 ? nd.depth + 1 : nd.depth - 1;
    var pool = byDepth[toward];
    var other = pool[Math.floor(rnd() * pool.length)];
    var e = nd.depth < 0 ? { source: nd.id, target: other } : { source: other, target: nd.id };
    e.kind = kinds[Math.floor(rnd() * 3)];
    e.trust = levels[Math.floor(rnd() * levels.length)];
    e.weight = Math.floor(rnd() * 5);
    edges.push(e);
    if (rnd() < 0.15) {
      var again = pool[Math.floor(rnd() * pool.length)];
      if (again !== other) edges.push(nd.depth < 0 ? { source: nd.id, target: again, kind: 'input', trust: null, weight: 1 }
        : { source: again, target: nd.id, kind: 'input', trust: 'mutual', weight: 1 });
    }
  });
  // A few links within one generation (a dataset and its sibling, both
  // parents of the next), as the lineage of a real DAG has.
  Object.keys(byDepth).forEach(function (d) {
    var row = byDepth[d];
    for (var k = 1; k < row.length; k += 11) {
      edges.push({ source: row[k - 1], target: row[k], kind: 'parent', trust: null, weight: 1 });
    }
  });
  var lineage = { subject: 'subject', nodes: nodes, edges: edges, truncated: false };
  window.testLineage = lineage;
  var t0 = performance.now();
  var el = document.getElementById('lineage-graph');
  // ?below=1 puts the graph below the fold, as on a dataset page.
  if (params.get('below')) el.style.marginTop = '3000px';
  window.graph = window.CommonsGraph.render(el, lineage, {
    onOpen: function (id) { document.getElementById('opened').textContent = id; }
  });
  window.renderMs = performance.now() - t0;
  new MutationObserver(function (_, obs) {
    if (el.dataset.nodes) { window.drawnMs = performance.now() - t0; obs.disconnect(); }
  }).observe(el, { attributes: true, attributeFilter: ['data-nodes'] });
})();
