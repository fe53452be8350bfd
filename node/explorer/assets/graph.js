// The lineage graph of the explorer: window.CommonsGraph.render(container,
// lineage, {onOpen(id)}) draws the answer of GET /v1/lineage/{id} with the
// vendored cytoscape (vendor.js), layered by depth: ancestors above, the
// subject, descendants below. Pan and zoom with the mouse or touch; a click
// on a node, or Enter on the node chosen with the arrow keys, calls
// onOpen(id). Every text comes from peers: it is drawn on a canvas or set
// with DOM APIs, never parsed as markup, and stripped of control and
// bidirectional characters first.
(function () {
  'use strict';

  var MAX_NODES = 2000; // bounded work whatever the node answers
  var MAX_LABEL = 32;
  var MAX_LABELLED = 150; // edges drawn with their trust in words
  var TRUST = {
    // level: [colour, line style, width, what it proves]
    certified: ['#00613a', 'solid', 4, 'a steward endorsed the claim'],
    mutual: ['#1a7f37', 'solid', 3, 'publisher and contributor both signed'],
    acknowledged: ['#0550ae', 'solid', 2, 'the publisher signed'],
    asserted: ['#57606a', 'dashed', 2, 'only its issuer says so'],
    revoked: ['#b42318', 'dotted', 2, 'revoked']
  };
  var KIND_SHAPE = {
    dataset: 'round-rectangle',
    derivation: 'diamond',
    artifact: 'ellipse',
    file: 'ellipse',
    model: 'hexagon'
  };
  // C0 and C1 controls, and the marks and overrides that reorder text.
  var UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

  function clean(s, max) {
    s = String(s == null ? '' : s).replace(UNSAFE, '\ufffd');
    if (s.length > max) s = s.slice(0, max - 1) + '\u2026';
    return s;
  }

  function shortID(id) {
    id = String(id);
    return id.length > 16 ? id.slice(0, 8) + '\u2026' + id.slice(-6) : id;
  }

  function depthOf(n) {
    var d = Number(n.depth);
    return Number.isFinite(d) ? Math.trunc(d) : 0;
  }

  // elements turns the API's answer into cytoscape's elements. Edges are
  // oriented from the lower depth to the higher for the layout, with
  // minLen their difference in depth, so that dagre's ranks are the depths;
  // an edge turned over that way keeps its arrow on its real target.
  function elements(lineage) {
    var nodes = Array.isArray(lineage && lineage.nodes) ? lineage.nodes : [];
    var edges = Array.isArray(lineage && lineage.edges) ? lineage.edges : [];
    var subject = lineage && lineage.subject != null ? String(lineage.subject) : '';
    var kept = nodes.filter(function (n) { return n && n.id != null; });
    var truncated = !!(lineage && lineage.truncated) || kept.length > MAX_NODES;
    if (kept.length > MAX_NODES) {
      kept = kept.slice().sort(function (a, b) {
        return Math.abs(depthOf(a)) - Math.abs(depthOf(b));
      }).slice(0, MAX_NODES);
    }
    var depth = new Map();
    var out = [];
    kept.forEach(function (n) {
      var id = String(n.id);
      if (depth.has(id)) return;
      var d = id === subject ? 0 : depthOf(n);
      depth.set(id, d);
      var kind = clean(n.kind, 24);
      var name = n.label || n.name;
      var standing = clean(n.standing, 24);
      out.push({
        group: 'nodes',
        data: {
          id: id,
          kind: kind,
          depth: d,
          standing: standing,
          name: clean(name || shortID(id), 200),
          label: clean(name || shortID(id), MAX_LABEL)
        },
        classes: [
          id === subject ? 'subject' : '',
          KIND_SHAPE[n.kind] ? 'kind-' + n.kind : '',
          standing && standing !== 'good' && standing !== 'ok' ? 'standing-flagged' : ''
        ].join(' ')
      });
    });
    var seen = new Set();
    edges.forEach(function (e, i) {
      if (!e) return;
      var s = String(e.source), t = String(e.target);
      if (!depth.has(s) || !depth.has(t) || s === t) return;
      var key = s + '\u0000' + t + '\u0000' + e.kind;
      if (seen.has(key)) return;
      seen.add(key);
      var ds = depth.get(s), dt = depth.get(t);
      var turned = ds > dt;
      var trust = TRUST.hasOwnProperty(e.trust) ? e.trust : '';
      var w = Number(e.weight);
      out.push({
        group: 'edges',
        data: {
          id: 'e' + i,
          source: turned ? t : s,
          target: turned ? s : t,
          from: s,
          to: t,
          kind: clean(e.kind, 16),
          trust: trust,
          span: Math.abs(ds - dt),
          width: trust ? TRUST[trust][2] : (Number.isFinite(w) && w > 0 ? 1 + Math.min(3, Math.log2(1 + w)) : 1.5),
          label: trust || ''
        },
        classes: (turned ? 'turned ' : '') + (trust ? 'trust-' + trust : 'trust-none')
      });
    });
    // Edge labels cost the most to draw: on a large graph the trust of
    // each edge shows by its colour and line (the legend says which), and
    // in words on the edges of the node under the mouse or the keyboard.
    var labelled = seen.size <= MAX_LABELLED;
    if (labelled) out.forEach(function (e) { if (e.group === 'edges') e.classes += ' labelled'; });
    return { elements: out, subject: subject, truncated: truncated, count: depth.size, labelled: labelled };
  }

  function style() {
    var s = [
      { selector: 'node', style: {
        'shape': 'round-rectangle', 'width': 150, 'height': 34,
        'background-color': '#ffffff', 'border-width': 1.5, 'border-color': '#57606a',
        'label': 'data(label)', 'color': '#1f2328', 'font-size': 12,
        'font-family': 'system-ui, sans-serif',
        'text-valign': 'center', 'text-halign': 'center',
        'text-wrap': 'ellipsis', 'text-max-width': 140, 'min-zoomed-font-size': 6
      } },
      { selector: 'node.kind-derivation', style: { 'shape': 'diamond', 'height': 44 } },
      { selector: 'node.kind-artifact, node.kind-file', style: { 'shape': 'ellipse' } },
      { selector: 'node.kind-model', style: { 'shape': 'hexagon' } },
      { selector: 'node.subject', style: {
        'background-color': '#ddf4ff', 'border-color': '#0550ae', 'border-width': 3, 'font-weight': 'bold'
      } },
      { selector: 'node.standing-flagged', style: { 'border-color': '#b42318', 'border-style': 'dashed' } },
      { selector: 'node:selected, node.focused', style: {
        'overlay-color': '#0969da', 'overlay-opacity': 0.18, 'overlay-padding': 6,
        'border-color': '#0969da', 'border-width': 4
      } },
      { selector: 'edge', style: {
        'curve-style': 'bezier', 'width': 'data(width)', 'line-color': '#8c959f',
        'target-arrow-shape': 'triangle', 'target-arrow-color': '#8c959f', 'arrow-scale': 1,
        'font-size': 10, 'color': '#1f2328',
        'text-background-color': '#ffffff', 'text-background-opacity': 0.85,
        'text-background-padding': 2,
        'min-zoomed-font-size': 8
      } },
      { selector: 'edge.labelled', style: { 'label': 'data(label)' } },
      { selector: 'edge.turned', style: { 'target-arrow-shape': 'none', 'source-arrow-shape': 'triangle' } }
    ];
    Object.keys(TRUST).forEach(function (level) {
      var t = TRUST[level];
      s.push({ selector: 'edge.trust-' + level, style: {
        'line-color': t[0], 'line-style': t[1], 'target-arrow-color': t[0], 'source-arrow-color': t[0]
      } });
    });
    return s;
  }

  // layered reports whether every depth is one row of the drawing and
  // deeper rows are lower; if dagre ever made it otherwise, the rows are
  // set from the depths.
  function layered(cy) {
    var rows = new Map();
    cy.nodes().forEach(function (n) {
      var d = n.data('depth'), y = n.position('y');
      if (!rows.has(d)) rows.set(d, [y, y]);
      var r = rows.get(d);
      r[0] = Math.min(r[0], y); r[1] = Math.max(r[1], y);
    });
    var ds = Array.from(rows.keys()).sort(function (a, b) { return a - b; });
    for (var i = 0; i < ds.length; i++) {
      var r = rows.get(ds[i]);
      if (r[1] - r[0] > 0.5) return false;
      if (i > 0 && rows.get(ds[i - 1])[0] >= r[0]) return false;
    }
    return true;
  }

  // legendOf says what the colours and lines of the edges mean.
  function legendOf(doc) {
    var ul = doc.createElement('ul');
    ul.className = 'graph-legend';
    ul.setAttribute('aria-label', 'Trust of the links');
    var s = ul.style;
    s.position = 'absolute'; s.top = '0'; s.right = '0'; s.margin = '0'; s.padding = '0.2rem 0.4rem';
    s.listStyle = 'none'; s.background = 'rgba(255,255,255,0.92)'; s.color = '#1f2328';
    s.font = '0.7rem system-ui, sans-serif'; s.zIndex = '10'; s.pointerEvents = 'none';
    Object.keys(TRUST).concat(['']).forEach(function (level) {
      var t = TRUST[level] || ['#8c959f', 'solid', 1.5, 'a link no claim vouches for'];
      var li = doc.createElement('li');
      li.title = t[3];
      var line = doc.createElement('span');
      var ls = line.style;
      ls.display = 'inline-block'; ls.width = '1.6rem'; ls.verticalAlign = 'middle'; ls.marginRight = '0.3rem';
      ls.borderTop = Math.max(2, t[2]) + 'px ' + t[1] + ' ' + t[0];
      li.appendChild(line);
      li.appendChild(doc.createTextNode(level || 'no trust level'));
      ul.appendChild(li);
    });
    return ul;
  }

  function describe(n) {
    var d = n.data('depth');
    var where = d === 0 ? 'this dataset' : d < 0 ? 'ancestor, ' + (-d) + ' up' : 'descendant, ' + d + ' down';
    var parts = [n.data('name'), n.data('kind') || 'object', where];
    if (n.data('standing')) parts.push('standing ' + n.data('standing'));
    return parts.join(' \u2014 ');
  }

  function render(container, lineage, opts) {
    if (typeof window.cytoscape !== 'function') throw new Error('the graph library (vendor.js) is not loaded');
    opts = opts || {};
    var onOpen = typeof opts.onOpen === 'function' ? opts.onOpen : function () {};
    var built = elements(lineage);
    var doc = container.ownerDocument;

    // cytoscape adds a <style> for its container unless one by this id
    // exists; the page's CSP refuses inline styles, so stand one in and
    // set what it would have set through the CSSOM, which CSP allows.
    if (!doc.getElementById('__________cytoscape_stylesheet')) {
      var stand = doc.createElement('meta');
      stand.id = '__________cytoscape_stylesheet';
      doc.head.appendChild(stand);
    }
    if (getComputedStyle(container).position === 'static') container.style.position = 'relative';
    if (!container.clientHeight) container.style.height = '28rem';

    // The container is one tab stop from the start. The drawing, the
    // costly part (a second or so for 500 nodes), waits until the
    // container first comes into view, so that it never holds up the rest
    // of the page; dataset.nodes says when it is drawn.
    container.tabIndex = 0;
    container.setAttribute('role', 'application');
    container.setAttribute('aria-roledescription', 'lineage graph');
    container.setAttribute('aria-label', 'Lineage graph of ' + built.count + ' nodes, ancestors above and descendants below' +
      (built.truncated ? ', truncated' : '') + '. Arrow keys move between nodes, Enter opens one.');
    var cy = null, destroyed = false, timer = null, seen = null;
    // A line of text over the graph: what the keys do, then the node the
    // keyboard is on (aria-live). It is there from the start, so that the
    // container is never empty, nor hidden as empty by a stylesheet.
    var status = doc.createElement('p');
    status.className = 'graph-status';
    status.setAttribute('aria-live', 'polite');
    var st = status.style;
    st.position = 'absolute'; st.left = '0'; st.bottom = '0'; st.margin = '0';
    st.padding = '0.15rem 0.4rem'; st.background = 'rgba(255,255,255,0.92)';
    st.color = '#1f2328'; st.font = '0.8rem system-ui, sans-serif'; st.zIndex = '10';
    st.pointerEvents = 'none'; st.maxWidth = '100%';
    status.textContent = 'The graph of ' + built.count + ' nodes is drawn when it comes into view.';
    container.appendChild(status);
    var legend = legendOf(doc);
    container.appendChild(legend);
    var current = null, step = null, keys = null;
    function safeDraw() {
      if (destroyed || cy) return;
      try {
        draw();
      } catch (e) {
        // The list beside the graph has every node: say so and stop.
        if (cy) { cy.destroy(); cy = null; }
        delete container.cy;
        var p = doc.createElement('p');
        p.className = 'graph-error';
        p.textContent = 'The graph could not be drawn (' + e.message + '); the list has every item.';
        container.appendChild(p);
        container.dataset.error = e.message;
      }
    }
    function later() {
      if (seen) { seen.disconnect(); seen = null; }
      if (!destroyed && !cy && timer === null) timer = setTimeout(safeDraw, 0);
    }
    if (typeof IntersectionObserver === 'function') {
      seen = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) later();
      });
      seen.observe(container);
    } else {
      later();
    }
    function onKey(ev) {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (!cy) { safeDraw(); if (!cy) return; }
      if (keys(ev.key)) ev.preventDefault();
    }
    function onFocus() {
      if (!cy) safeDraw();
      if (cy && !current) step();
    }
    container.addEventListener('keydown', onKey);
    container.addEventListener('focus', onFocus);

    function draw() {
      if (destroyed) return;
      cy = window.cytoscape({
        container: container,
        elements: built.elements,
        style: style(),
        layout: { name: 'preset' },
        minZoom: 0.05,
        maxZoom: 3,
        wheelSensitivity: 0.3,
        boxSelectionEnabled: false,
        autoungrabify: true,
        hideEdgesOnViewport: built.count > 300,
        textureOnViewport: built.count > 300
      });
      // Links within one generation do not rank anything: they are drawn
      // across the row, and left out of the layout.
      cy.elements().filter(function (e) { return !(e.isEdge() && e.data('span') === 0); }).layout({
        name: 'dagre', rankDir: 'TB', nodeSep: 24, rankSep: 70, edgeSep: 8,
        ranker: 'tight-tree', animate: false, fit: false,
        minLen: function (e) { return e.data('span'); }
      }).run();
      container.dataset.layout = 'dagre';
      if (!layered(cy)) {
        container.dataset.layout = 'depth';
        cy.nodes().forEach(function (n) { n.position('y', n.data('depth') * 104); });
      }

      var subject = built.subject ? cy.getElementById(built.subject) : cy.collection();
      function frame() {
        cy.fit(undefined, 24);
        if (cy.zoom() < 0.6 && subject.nonempty()) {
          cy.zoom(0.8);
          cy.center(subject);
        }
      }
      frame();

      // The keyboard: the container is one tab stop; the arrows move among
      // the nodes (left and right in a row, up and down to the next row),
      // Enter opens, + and - zoom, 0 fits, Home goes back to the subject.
      status.textContent = built.count + ' nodes' + (built.truncated ? ' (more were left out)' : '') +
        '. Tab here, then arrow keys to move, Enter to open, + and \u2212 to zoom.';

      var nearby = cy.collection();
      function near(n) {
        if (built.labelled) return;
        nearby.removeClass('labelled');
        nearby = n.connectedEdges().addClass('labelled');
      }
      function choose(n) {
        if (!n || n.empty()) return;
        if (current) current.removeClass('focused');
        current = n;
        n.addClass('focused');
        near(n);
        var bb = cy.extent(), p = n.position();
        if (p.x < bb.x1 || p.x > bb.x2 || p.y < bb.y1 || p.y > bb.y2) cy.center(n);
        status.textContent = describe(n);
      }
      function row(d) {
        return cy.nodes().filter(function (n) { return n.data('depth') === d; })
          .sort(function (a, b) { return a.position('x') - b.position('x'); });
      }
      function nearest(list, x) {
        var best = null, bd = Infinity;
        list.forEach(function (n) {
          var dx = Math.abs(n.position('x') - x);
          if (dx < bd) { bd = dx; best = n; }
        });
        return best;
      }
      step = function (dir) {
        if (!current) return choose(subject.nonempty() ? subject : cy.nodes().first());
        var d = current.data('depth'), x = current.position('x');
        if (dir === 'left' || dir === 'right') {
          var r = row(d), i = r.indexOf(current);
          return choose(r[dir === 'left' ? Math.max(0, i - 1) : Math.min(r.length - 1, i + 1)]);
        }
        var depths = Array.from(new Set(cy.nodes().map(function (n) { return n.data('depth'); })))
          .sort(function (a, b) { return a - b; });
        var k = depths.indexOf(d) + (dir === 'up' ? -1 : 1);
        if (k < 0 || k >= depths.length) return;
        var linked = current.neighborhood('node').filter(function (n) { return n.data('depth') === depths[k]; });
        choose(nearest(linked.nonempty() ? linked : row(depths[k]), x));
      };
      keys = function (key) {
        var z = cy.zoom(), c = { x: cy.width() / 2, y: cy.height() / 2 };
        switch (key) {
          case 'ArrowLeft': step('left'); break;
          case 'ArrowRight': step('right'); break;
          case 'ArrowUp': step('up'); break;
          case 'ArrowDown': step('down'); break;
          case 'Enter': case ' ': if (current) onOpen(current.id()); else step(); break;
          case '+': case '=': cy.zoom({ level: z * 1.25, renderedPosition: c }); break;
          case '-': case '_': cy.zoom({ level: z / 1.25, renderedPosition: c }); break;
          case '0': frame(); break;
          case 'Home': choose(subject); break;
          default: return false;
        }
        return true;
      };

      cy.on('tap', 'node', function (ev) { onOpen(ev.target.id()); });
      cy.on('mouseover', 'node', function (ev) { container.style.cursor = 'pointer'; near(ev.target); });
      cy.on('mouseout', 'node', function () { container.style.cursor = ''; });

      container.cy = cy;
      container.dataset.nodes = String(built.count);
      if (built.truncated) container.dataset.truncated = '1';
      if (doc.activeElement === container && !current) step();
    }

    return {
      destroy: function () {
        destroyed = true;
        clearTimeout(timer);
        if (seen) seen.disconnect();
        container.removeEventListener('keydown', onKey);
        container.removeEventListener('focus', onFocus);
        if (status.parentNode) status.parentNode.removeChild(status);
        if (legend.parentNode) legend.parentNode.removeChild(legend);
        if (cy) cy.destroy();
        delete container.cy;
        delete container.dataset.nodes;
        delete container.dataset.truncated;
        delete container.dataset.layout;
        delete container.dataset.error;
      }
    };
  }

  window.CommonsGraph = { render: render };
})();
