// app.js: the explorer's pages (SPEC.md §6.6). One shell serves every
// route; this script reads the path, fetches the answers from the node's
// read-only API (same origin, GET only), renders them with DOM calls
// alone (text from peers is never parsed as markup), and checks the
// signed envelopes behind them with verify.js.
(function () {
  'use strict';

  // How many envelopes a page checks at most: a dataset with thousands of
  // contributors stays usable, and the page says what it did not check.
  var MAX_VERIFY = 50;
  var FILES_PAGE = 100;

  var TRUST = {
    certified: 'Certified: a current steward of the network endorsed this claim.',
    mutual: 'Mutual: the publisher of the subject and the contributor, two different parties, both signed this claim.',
    acknowledged: 'Acknowledged: the publisher of the subject signed this claim, and is not the party that issued it.',
    asserted: 'Asserted: only the party that issued this claim vouches for it; no second party signed it.',
    revoked: 'Revoked: its issuer withdrew this claim, or governance revoked the key that issued it.'
  };

  // ---- DOM helpers: text only, never markup ----

  // visible writes the characters that act on a display instead of
  // showing — controls, bidirectional controls, zero-width and line
  // separators — as escapes (\u202e), as the CLI does (SPEC §6.3): a
  // record stored before the text rules of §3.2 cannot reorder or hide
  // what the page shows. Line feeds and tabs, which prose may hold, stay.
  var ACTING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/g;
  function visible(s) {
    return String(s).replace(ACTING, function (c) { return '\\u' + ('000' + c.charCodeAt(0).toString(16)).slice(-4); });
  }

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') e.textContent = visible(v);
        else if (k === 'title' || k === 'aria-label') e.setAttribute(k, visible(v));
        else if (k === 'class') e.className = v;
        else if (k === 'data') Object.keys(v).forEach(function (d) { e.dataset[d] = v[d]; });
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }
  function append(parent, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(parent, c); }); return; }
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(visible(child)));
  }
  function $(sel) { return document.querySelector(sel); }
  function content() { return $('#content'); }

  function setTitle(text) {
    $('#title').textContent = visible(text);
    document.title = visible(text) + ' · commons explorer';
  }
  function status(text) {
    var s = $('#status');
    s.textContent = text || '';
    s.hidden = !text;
  }
  function showError(msg) {
    var e = $('#error');
    e.textContent = visible(msg);
    e.hidden = false;
    status('');
    document.body.dataset.ready = 'error';
  }
  function ready() {
    status('');
    document.body.dataset.ready = '1';
  }

  function idLink(id, text, kind) {
    var path = kind === 'dataset' ? '/dataset/' : '/object/';
    return el('a', { href: path + encodeURIComponent(id), class: text ? null : 'id', text: text || id });
  }
  function didLink(did, text) {
    return el('a', { href: '/did/' + encodeURIComponent(did), class: 'did', text: text || shortDID(did) });
  }
  function shortDID(did) {
    return did && did.length > 30 ? did.slice(0, 18) + '…' + did.slice(-6) : (did || '');
  }
  function shortID(id) { return id && id.length > 24 ? id.slice(0, 14) + '…' + id.slice(-6) : id; }
  function time(t) {
    if (!t || t.indexOf('0001-01-01') === 0) return '';
    return el('time', { datetime: t, text: t.replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC') });
  }
  function bytes(n) {
    if (n < 0) return 'unknown';
    var units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'], i = 0, v = n;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[i];
  }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
  function trustBadge(level) {
    var l = level || 'none';
    return el('span', { class: 'trust trust-' + l, title: TRUST[l] || 'No claim vouches for this link.', text: l });
  }
  function dl(rows) {
    var d = el('dl');
    rows.forEach(function (r) {
      if (r[1] === undefined || r[1] === null || r[1] === '') return;
      append(d, [el('dt', { text: r[0] }), el('dd', null, r[1])]);
    });
    return d;
  }
  function table(id, head, rows, caption) {
    var thead = el('thead', null, el('tr', null, head.map(function (h) {
      return el('th', { scope: 'col', class: /^(Weight|Size|Share|Depth)$/.test(h) ? 'num' : null, text: h });
    })));
    var t = el('table', { id: id }, caption ? el('caption', { class: 'muted', text: caption }) : null, thead, el('tbody', null, rows));
    // The wrapper scrolls a wide table on a narrow screen; it takes the
    // focus so that the keyboard scrolls it too.
    return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': head.join(', ') }, t);
  }
  function section(id, title, body) {
    return el('section', { id: id, 'aria-labelledby': id + '-h' }, el('h2', { id: id + '-h', text: title }), body);
  }
  function verifyBadge() {
    return el('span', { class: 'verify', data: { verified: 'pending' }, text: 'checking…' });
  }
  function setVerified(badge, ok, why) {
    badge.dataset.verified = ok ? 'true' : 'false';
    badge.textContent = ok ? '✓ verified in your browser' : '✗ not verified: ' + visible(why);
    badge.title = ok ? 'The Ed25519 signatures and the ID of the signed envelope were checked here, and what is shown matches it.' : visible(why);
  }
  function sourceNote(network) {
    return network ? el('p', { class: 'source', text: 'This answer came from the network: this node did not hold it and asked its peers.' }) : null;
  }
  function rawLinks(id, bundle) {
    return el('p', { class: 'links' },
      el('a', { class: 'raw', href: '/v1/objects/' + encodeURIComponent(id), text: 'Signed envelope (JSON)' }),
      bundle ? el('a', { class: 'bundle', href: '/v1/bundle/' + encodeURIComponent(id), text: 'Offline proof bundle' }) : null);
  }

  // ---- the API ----

  function ApiError(status, message, kind) {
    this.status = status; this.message = message; this.kind = kind;
  }
  function Halt() {}

  // api reads path (from the local index when local). A 401 sends the
  // browser to the login, unless optional: a read that a public explorer
  // keeps private (the peers) then fails alone.
  async function api(path, local, optional) {
    var url = path + (local ? (path.indexOf('?') < 0 ? '?' : '&') + 'local=1' : '');
    var r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 401 && !optional) {
      location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
      throw new Halt();
    }
    if (!r.ok) {
      var body = {};
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      throw new ApiError(r.status, body.error || r.statusText, body.kind);
    }
    return r.json();
  }

  // localFirst answers from this node's store, and from the network only
  // when the node holds nothing: the page says which.
  async function localFirst(path) {
    try {
      return { data: await api(path, true), network: false };
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      return { data: await api(path, false), network: true };
    }
  }

  // ---- verification of what a page shows ----

  // checkObject fetches the envelope of id, verifies it, and runs match
  // on its statement: match returns "" when what the page shows agrees
  // with the signed payload, or what differs.
  async function checkObject(id, network, badge, match) {
    var v = await CommonsVerify.fetchEnvelope(id, network);
    if (!v.ok) { setVerified(badge, false, v.reason); return v; }
    var diff = match ? match(v.statement || v.update, v.signers) : '';
    if (diff) { setVerified(badge, false, 'the node shows ' + diff + ' that the signed envelope does not say'); v.ok = false; return v; }
    setVerified(badge, true);
    return v;
  }

  function subjectID(st) {
    var s = st.subject && st.subject[0];
    return s ? s.name : '';
  }
  function sameList(a, b) {
    a = (a || []).slice().sort(); b = (b || []).slice().sort();
    return a.length === b.length && a.every(function (x, i) { return x === b[i]; });
  }

  function matchDataset(ds) {
    return function (st) {
      if (CommonsVerify.kindOf(st) !== 'dataset') return 'a dataset';
      var p = st.predicate || {};
      if (p.name !== ds.name) return 'the name';
      if (p.license !== ds.license) return 'the licence';
      if (p.publisher !== ds.publisher) return 'the publisher';
      if (!CommonsVerify.sameInstant(p.created, ds.created)) return 'the creation time';
      if ((p.description || '') !== (ds.description || '')) return 'the description';
      if ((p.version || '') !== (ds.version || '')) return 'the version';
      if (!sameList(p.parents, ds.parents)) return 'the parents';
      if (!p.manifest) {
        var files = {};
        (st.subject || []).forEach(function (s) { files[s.name] = s; });
        for (var i = 0; i < ds.files.length; i++) {
          var f = ds.files[i], s = files[f.name];
          if (!s || !s.digest || s.digest.sha256 !== f.sha256) return 'the file ' + JSON.stringify(f.name);
          var size = s.annotations && s.annotations.size;
          if (f.size >= 0 && size !== f.size) return 'the size of ' + JSON.stringify(f.name);
        }
        if (ds.file_count !== (st.subject || []).length) return 'the number of files';
      } else if (p.manifest.count !== ds.file_count || p.manifest.bytes !== ds.bytes) {
        return 'the size of the file list';
      }
      return '';
    };
  }

  function matchClaim(subject, c) {
    return function (st, signers) {
      if (CommonsVerify.kindOf(st) !== 'attribution') return 'an attribution';
      var p = st.predicate || {};
      if (subjectID(st) !== subject) return 'the subject';
      if (p.contributor !== c.did) return 'the contributor';
      if (p.role !== c.role) return 'the role';
      if (p.weight !== c.weight) return 'the weight';
      if (c.issuer && p.issuer !== c.issuer) return 'the issuer';
      var missing = (c.signers || []).filter(function (s) { return signers.indexOf(s) < 0; });
      if (missing.length) return 'a signature by ' + missing[0];
      return '';
    };
  }

  // verifyRows checks the envelope behind each row, at most MAX_VERIFY,
  // and says on the page how many it left unchecked.
  async function verifyRows(container, jobs) {
    var done = jobs.slice(0, MAX_VERIFY);
    await Promise.all(done.map(function (j) { return checkObject(j.id, j.network, j.badge, j.match || j.update); }));
    if (jobs.length > done.length) {
      jobs.slice(done.length).forEach(function (j) {
        j.badge.dataset.verified = 'unchecked';
        j.badge.textContent = 'not checked';
      });
      append(container, el('p', { class: 'note', text: 'Checked the first ' + done.length + ' of ' + jobs.length +
        ' envelopes in this list; open a row to check the rest.' }));
    }
  }

  // ---- the lineage ----

  function renderLineage(subject, lineage) {
    var graph = el('div', { id: 'lineage-graph', role: 'group', hidden: true, 'aria-label': 'Lineage graph of ' + lineage.nodes.length + ' items; the list below has the same items as links.' });
    var list = el('ul', { id: 'lineage-list', class: 'plain' });
    var byDepth = lineage.nodes.slice().sort(function (a, b) { return a.depth - b.depth || (a.label < b.label ? -1 : 1); });
    byDepth.forEach(function (n) {
      var where = n.depth < 0 ? 'ancestor ' + (-n.depth) : n.depth > 0 ? 'derived ' + n.depth : 'this';
      var text = n.label + ' (' + n.kind + ')';
      var link = n.id === subject ? el('strong', { text: text }) :
        n.kind === 'unknown' ? el('span', { class: 'id', text: text }) :
          idLink(n.id, text, n.kind === 'dataset' ? 'dataset' : 'object');
      append(list, el('li', { data: { id: n.id, depth: String(n.depth) } }, el('span', { class: 'depth', text: where }), ' ', link,
        n.standing ? [' ', el('span', { class: 'muted', text: '[' + n.standing + ']' })] : null));
    });
    var body = [graph];
    if (lineage.truncated) body.push(el('p', { class: 'note', text: 'The lineage is larger than shown: the first ' + lineage.nodes.length + ' items.' }));
    body.push(list);
    var sec = section('lineage', 'Lineage', body);
    // The graph is drawn once the section is in the page, when the graph
    // library is there; the list alone serves without it.
    sec.drawGraph = function () {
      if (!window.CommonsGraph || lineage.nodes.length < 2) return;
      // Shown before it is drawn: the layout needs the container's size.
      graph.hidden = false;
      try {
        window.CommonsGraph.render(graph, lineage, {
          onOpen: function (id) {
            var n = lineage.nodes.find(function (x) { return x.id === id; });
            if (!n || n.kind === 'unknown') return;
            location.assign((n.kind === 'dataset' ? '/dataset/' : '/object/') + encodeURIComponent(id));
          }
        });
      } catch (e) {
        graph.hidden = true;
        append(sec, el('p', { class: 'note', text: 'The graph could not be drawn; the list above has every item.' }));
      }
    };
    return sec;
  }

  async function lineageSection(id, network) {
    try {
      var lin = await api('/v1/lineage/' + encodeURIComponent(id), !network);
      return renderLineage(id, lin);
    } catch (e) {
      if (e instanceof Halt) throw e;
      return section('lineage', 'Lineage', el('p', { class: 'note', text: 'No lineage: ' + e.message }));
    }
  }

  // ---- contributors, credit, derived ----

  function contributorsSection(subject, attribution, network, jobs) {
    var rows = (attribution.contributors || []).map(function (c) {
      var badge = verifyBadge();
      jobs.push({ id: c.claim, network: network, badge: badge, match: matchClaim(subject, c) });
      return el('tr', { data: { did: c.did, claim: c.claim }, class: c.trust === 'revoked' ? 'revoked' : null },
        el('td', null, didLink(c.did)),
        el('td', { text: c.role }),
        el('td', { class: 'num', text: String(c.weight) }),
        el('td', null, trustBadge(c.trust)),
        el('td', null, idLink(c.claim, shortID(c.claim))),
        el('td', null, badge));
    });
    var body = rows.length ? table('contributors', ['Contributor', 'Role', 'Weight', 'Trust', 'Claim', 'Signatures'], rows) :
      el('table', { id: 'contributors' }, el('caption', { text: 'No contributor is known.' }));
    return section('contributors-sec', 'Contributors', body);
  }

  function creditSection(credit) {
    var rows = (credit.shares || []).map(function (s) {
      return el('tr', { data: { did: s.did } }, el('td', null, didLink(s.did)), el('td', { class: 'num', text: (s.share * 100).toFixed(1) + '%' }));
    });
    if (credit.unattributed > 0) rows.push(el('tr', null, el('td', { text: 'unattributed' }), el('td', { class: 'num', text: (credit.unattributed * 100).toFixed(1) + '%' })));
    return el('div', { id: 'credit' }, rows.length ? table('credit-table', ['Contributor', 'Share'], rows,
      'Shares of the credit through the whole lineage, counting claims at ' + credit.min_trust + ' or above.') :
      el('p', { class: 'note', text: 'No share of credit is known.' }));
  }

  function derivedList(items) {
    if (!items || !items.length) return el('p', { id: 'derived', class: 'note', text: 'Nothing made from it is known.' });
    return el('ul', { id: 'derived', class: 'plain' }, items.map(function (d) {
      var what = d.kind === 'dataset' ? 'dataset' : (d.activity || 'derivation');
      return el('li', null, el('span', { class: 'depth', text: 'depth ' + d.depth }), ' ',
        idLink(d.id, d.name || shortID(d.id), d.kind === 'dataset' ? 'dataset' : 'object'), ' ',
        el('span', { class: 'muted', text: '(' + what + ')' }),
        d.artifact ? [' → ', idLink(d.artifact, 'artifact')] : null);
    }));
  }

  // ---- pages ----

  async function datasetPage(id) {
    var params = new URLSearchParams(location.search);
    var after = params.get('after');
    var q = '/v1/datasets/' + encodeURIComponent(id) + '?limit=' + FILES_PAGE + (after ? '&after=' + encodeURIComponent(after) : '');
    var got = await localFirst(q);
    var ds = got.data, network = got.network;
    setTitle(ds.name);
    var recordBadge = verifyBadge();
    var standing = ds.standing ? ds.standing.status + (ds.standing.reason ? ': ' + ds.standing.reason : '') : 'none set by governance';
    var parents = ds.parents.length ? ds.parents.map(function (p) { return el('div', null, idLink(p, null, 'dataset')); }) : null;
    var c = content();
    append(c, [
      sourceNote(network),
      el('p', null, recordBadge),
      rawLinks(id, true),
      el('section', { 'aria-label': 'Summary' }, el('dl', { id: 'summary' }, dlRows([
        ['Name', ds.name], ['Licence', ds.license], ['Publisher', didLink(ds.publisher, ds.publisher)],
        ['Standing', standing], ['Created', time(ds.created)],
        ['Size', plural(ds.file_count, 'file') + ', ' + bytes(ds.bytes)],
        ['Version', ds.version], ['Description', ds.description], ['Parents', parents],
        ['ID', el('span', { class: 'id', text: id })]
      ])))
    ]);
    // Files, one page.
    var fileRows = ds.files.map(function (f) {
      return el('tr', null, el('td', { text: f.name }),
        el('td', null, el('a', { class: 'mono', href: '/search?q=' + f.sha256, title: 'Where else this file is', text: f.sha256.slice(0, 16) + '…' })),
        el('td', { class: 'num', text: bytes(f.size) }));
    });
    var from = after ? 'after ' + JSON.stringify(after) : 'from the first';
    var filesBody = [table('files', ['Path', 'sha256', 'Size'], fileRows, ds.files.length + ' of ' + ds.file_count + ' files, ' + from + ', in path order.')];
    var nav = el('p', { class: 'links' });
    if (after) append(nav, el('a', { href: '/dataset/' + encodeURIComponent(id), text: 'First page' }));
    if (ds.next) append(nav, el('a', { rel: 'next', href: '/dataset/' + encodeURIComponent(id) + '?after=' + encodeURIComponent(ds.next), text: 'Next files' }));
    filesBody.push(nav);
    append(c, section('files-sec', 'Files', filesBody));

    var jobs = [];
    var rest = await Promise.all([
      api('/v1/attribution/' + encodeURIComponent(id), !network).catch(soft),
      api('/v1/credit/' + encodeURIComponent(id), !network).catch(soft),
      lineageSection(id, network)
    ]);
    var attribution = rest[0], credit = rest[1];
    var contrib = attribution instanceof Error ? section('contributors-sec', 'Contributors', el('p', { id: 'contributors', class: 'note', text: attribution.message })) :
      contributorsSection(id, attribution, network, jobs);
    append(c, contrib);
    append(c, section('credit-sec', 'Credit', credit instanceof Error ? el('p', { id: 'credit', class: 'note', text: credit.message }) : creditSection(credit)));
    append(c, section('derived-sec', 'Made from it', derivedList(ds.derived)));
    append(c, rest[2]);
    rest[2].drawGraph();
    await Promise.all([
      checkObject(id, network, recordBadge, matchDataset(ds)),
      verifyRows(contrib, jobs)
    ]);
    ready();
  }

  function soft(e) {
    if (e instanceof Halt) throw e;
    return e instanceof Error ? e : new Error(e.message || String(e));
  }
  ApiError.prototype = Object.create(Error.prototype);

  function dlRows(rows) {
    var out = [];
    rows.forEach(function (r) {
      if (r[1] === undefined || r[1] === null || r[1] === '') return;
      out.push(el('dt', { text: r[0] }), el('dd', null, r[1]));
    });
    return out;
  }

  async function objectPage(id) {
    if (id.indexOf('bafkrei') === 0 || id.indexOf('sha256:') === 0) return artifactPage(id);
    var network = false;
    var v = await CommonsVerify.fetchEnvelope(id, false);
    if (!v.ok && /\(404\)/.test(v.reason)) { network = true; v = await CommonsVerify.fetchEnvelope(id, true); }
    if (!v.ok && /\((401)\)/.test(v.reason)) { await api('/v1/objects/' + encodeURIComponent(id)); }
    if (!v.ok && /\(404\)/.test(v.reason)) throw new ApiError(404, 'nothing is known of ' + id + ', here or on the network');
    var badge = verifyBadge();
    setVerified(badge, v.ok, v.reason);
    var c = content();
    if (!v.ok) {
      setTitle('Object ' + shortID(id));
      append(c, [el('p', null, badge), rawLinks(id, false)]);
      ready();
      return;
    }
    if (v.update) return governanceUpdate(id, v, badge);
    var st = v.statement, kind = CommonsVerify.kindOf(st), p = st.predicate || {};
    var name = p.name || (kind === 'derivation' && st.subject[0] ? st.subject[0].name : '');
    setTitle((name ? name + ' · ' : '') + kind);
    append(c, [sourceNote(network), el('p', null, badge), rawLinks(id, kind === 'dataset' || kind === 'derivation')]);
    if (kind === 'dataset') append(c, el('p', null, el('a', { href: '/dataset/' + encodeURIComponent(id), text: 'Open the dataset page' })));
    var rows = [['Kind', kind], ['ID', el('span', { class: 'id', text: id })]];
    Object.keys(p).forEach(function (k) {
      var val = p[k];
      if (typeof val === 'string' && val.indexOf('did:key:') === 0) val = didLink(val, val);
      else if (Array.isArray(val) && val.every(function (x) { return typeof x === 'string' && x.indexOf('b') === 0; })) val = val.map(function (x) { return el('div', null, idLink(x, null)); });
      else if (typeof val === 'object') val = el('code', { text: JSON.stringify(val) });
      else val = String(val);
      rows.push([k, val]);
    });
    append(c, el('section', { 'aria-label': 'Statement' }, el('dl', { id: 'summary' }, dlRows(rows))));
    var subjRows = (st.subject || []).slice(0, 1000).map(function (s) {
      var isID = /^b[a-z2-7]+$/.test(s.name) && s.name.length > 40;
      return el('tr', null, el('td', null, isID ? idLink(s.name, null) : s.name),
        el('td', { class: 'mono', text: s.digest && s.digest.sha256 ? s.digest.sha256.slice(0, 16) + '…' : '' }));
    });
    append(c, section('subjects', 'Subjects', table('subject-table', ['Name', 'sha256'], subjRows)));
    append(c, section('signers', 'Signed by', el('ul', { class: 'plain' }, v.signers.map(function (s) { return el('li', null, didLink(s, s)); }))));
    if (kind === 'derivation' || kind === 'dataset') {
      var sec = await lineageSection(id, network);
      append(c, sec);
      sec.drawGraph();
    }
    ready();
  }

  // governanceUpdate shows a verified governance update (SPEC §8.1).
  function governanceUpdate(id, v, badge) {
    var u = v.update, c = content();
    var what = u.propose ? 'proposal: ' + u.propose.action : u.vote ? 'vote ' + (u.vote.yes ? 'yes' : 'no') : u.rotate ? 'seat rotation' : 'governance update';
    setTitle('Governance ' + what);
    append(c, [el('p', null, badge), rawLinks(id, false)]);
    var rows = [['ID', el('span', { class: 'id', text: id })], ['Author', didLink(u.author, u.author)], ['Time', time(u.time)],
      ['Parents', (u.parents || []).map(function (p) { return el('div', null, idLink(p, null)); })]];
    var op = u.propose || u.vote || {};
    Object.keys(op).forEach(function (k) {
      var val = op[k];
      if (k === 'proposal') val = idLink(val, null);
      else if (typeof val === 'string' && val.indexOf('did:key:') === 0) val = didLink(val, val);
      else val = typeof val === 'object' ? JSON.stringify(val) : String(val);
      rows.push([k, val]);
    });
    append(c, el('section', { 'aria-label': 'Update' }, el('dl', { id: 'summary' }, dlRows(rows))));
    ready();
  }

  async function artifactPage(id) {
    var got = await localFirst('/v1/attribution/' + encodeURIComponent(id));
    var a = got.data;
    setTitle((a.name || 'Artifact ' + shortID(id)));
    var c = content();
    append(c, [sourceNote(got.network), rawLinks(id, true)]);
    append(c, el('section', { 'aria-label': 'Summary' }, el('dl', { id: 'summary' }, dlRows([
      ['Kind', a.kind], ['Publisher', a.publisher ? didLink(a.publisher, a.publisher) : 'none recognised'],
      ['ID', el('span', { class: 'id', text: id })]
    ]))));
    var jobs = [];
    var contrib = contributorsSection(id, a, got.network, jobs);
    append(c, contrib);
    append(c, section('derived-sec', 'Made from it', derivedList(a.derived)));
    var sec = await lineageSection(id, got.network);
    append(c, sec);
    sec.drawGraph();
    await verifyRows(contrib, jobs);
    ready();
  }

  async function didPage(did) {
    var params = new URLSearchParams(location.search);
    var after = params.get('after');
    var data = await api('/v1/did/' + encodeURIComponent(did) + (after ? '?after=' + encodeURIComponent(after) : ''));
    setTitle('Key ' + shortDID(did));
    var c = content();
    append(c, el('p', null, el('span', { class: 'did', text: did })));
    var jobs = [];
    var rows = data.claims.map(function (cl) {
      var badge = verifyBadge();
      jobs.push({ id: cl.claim, network: false, badge: badge, match: matchClaim(cl.subject, { did: did, role: cl.role, weight: cl.weight, issuer: cl.issuer }) });
      var state = cl.withdrawn ? 'withdrawn by its issuer' : cl.revoked ? 'revoked' : '';
      return el('tr', { data: { claim: cl.claim }, class: cl.revoked ? 'revoked' : null },
        el('td', null, idLink(cl.subject, cl.subject_name || shortID(cl.subject), cl.subject_kind === 'dataset' ? 'dataset' : 'object')),
        el('td', { text: cl.role }), el('td', { class: 'num', text: String(cl.weight) }),
        el('td', null, trustBadge(cl.trust)), el('td', null, didLink(cl.issuer)),
        el('td', { text: state }), el('td', null, badge));
    });
    var claimsSec = section('claims-sec', 'Contributions', rows.length ?
      table('claims', ['Subject', 'Role', 'Weight', 'Trust', 'Issuer', 'State', 'Signatures'], rows) :
      el('table', { id: 'claims' }, el('caption', { text: 'No claim names this key as a contributor here.' })));
    if (data.next) append(claimsSec, el('p', { class: 'links' }, el('a', { rel: 'next', href: '/did/' + encodeURIComponent(did) + '?after=' + encodeURIComponent(data.next), text: 'More contributions' })));
    append(c, claimsSec);
    var signed = data.signed.map(function (o) {
      return el('li', null, idLink(o.id, o.name || shortID(o.id), o.kind === 'dataset' ? 'dataset' : 'object'), ' ', el('span', { class: 'muted', text: '(' + o.kind + ')' }));
    });
    append(c, section('signed', 'Signed by this key', signed.length ? el('ul', { class: 'plain' }, signed) : el('p', { class: 'note', text: 'Nothing held here carries its signature.' })));
    if (data.signed_more) append(c, el('p', { class: 'note', text: 'It signed more than the ' + data.signed.length + ' listed.' }));
    await verifyRows(claimsSec, jobs);
    ready();
  }

  function hashZone() {
    var input = el('input', { id: 'file', type: 'file' });
    var zone = el('div', { id: 'drop', tabindex: null },
      el('label', { for: 'file', text: 'Find a file by its content: choose or drop it here. It is hashed in your browser and never leaves this machine.' }),
      el('div', null, input), el('p', { id: 'hash-status', class: 'muted', role: 'status' }));
    async function hashFile(f) {
      if (!f) return;
      var s = $('#hash-status');
      s.textContent = 'Hashing ' + visible(f.name) + '…';
      var d = await CommonsVerify.sha256(new Uint8Array(await f.arrayBuffer()));
      var hex = CommonsVerify.hex(d);
      s.textContent = 'sha256 ' + hex;
      location.assign('/search?q=' + hex);
    }
    input.addEventListener('change', function () { hashFile(input.files[0]); });
    zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
    zone.addEventListener('drop', function (e) {
      e.preventDefault(); zone.classList.remove('over');
      if (e.dataTransfer.files.length) hashFile(e.dataTransfer.files[0]);
    });
    return zone;
  }

  function resultItem(r) {
    var target = r.kind === 'did' ? el('a', { href: '/did/' + encodeURIComponent(r.id), class: 'did', text: r.id }) :
      idLink(r.id, r.name || shortID(r.id), r.kind === 'dataset' ? 'dataset' : 'object');
    return el('li', { data: { id: r.id } }, target, ' ',
      el('span', { class: 'muted' }, r.kind !== 'did' ? '(' + r.kind + ')' : '',
        r.path ? [' file ', el('code', { text: r.path })] : null,
        r.publisher ? [' by ', didLink(r.publisher)] : null,
        r.created ? [' · ', time(r.created)] : null,
        r.files !== undefined && r.kind === 'dataset' ? ' · ' + plural(r.files, 'file') : null));
  }

  async function searchPage(home) {
    var params = new URLSearchParams(location.search);
    var q = home ? '' : (params.get('q') || '').trim();
    var after = params.get('after');
    if (!home) $('#q').value = q;
    setTitle(home ? 'Datasets on this node' : q ? 'Search: ' + q : 'Search');
    var c = content();
    append(c, hashZone());
    var url = '/v1/search?q=' + encodeURIComponent(q) + (after ? '&after=' + encodeURIComponent(after) : '');
    var got = { data: await api(url, true), network: false };
    // A digest or an ID that this node does not hold may be held by a
    // peer: those are asked of the network when nothing here matches.
    if (q && !got.data.results.length && (got.data.kind === 'sha256' || got.data.kind === 'id')) {
      status('Nothing here; asking the network…');
      got = { data: await api(url, false), network: true };
    }
    var res = got.data;
    append(c, sourceNote(got.network));
    var what = { recent: 'Newest first.', name: 'Datasets whose name holds “' + q + '”.', id: 'The object with this ID.', sha256: 'Datasets holding a file with this sha256.', did: 'This key.' };
    append(c, el('p', { class: 'muted', text: what[res.kind] || '' }));
    var list = el('ul', { id: 'results', class: 'plain' }, res.results.map(resultItem));
    if (!res.results.length) append(c, el('p', { class: 'note', text: q ? 'Nothing matches.' : 'This node holds no dataset yet.' }));
    append(c, list);
    if (home) list.setAttribute('aria-label', 'Datasets');
    if (res.next) {
      var base = home ? '/?' : '/search?q=' + encodeURIComponent(q) + '&';
      append(c, el('p', { class: 'links' }, el('a', { rel: 'next', href: base + 'after=' + encodeURIComponent(res.next), text: 'More' })));
    }
    ready();
  }

  async function governancePage() {
    setTitle('Governance');
    var got = await Promise.all([api('/v1/gov/state'), api('/v1/gov/log')]);
    var st = got[0], log = got[1], c = content();
    append(c, section('state', 'State', el('dl', null, dlRows([
      ['Network', el('span', { class: 'id', text: st.network })],
      ['State hash', el('span', { id: 'state-hash', class: 'id', text: st.state_hash })],
      ['Updates applied', String(st.updates)], ['As of', time(st.time)]
    ]))));
    append(c, section('stewards-sec', 'Stewards', el('ul', { id: 'stewards', class: 'plain' }, st.stewards.map(function (d) { return el('li', null, didLink(d, d)); }))));
    append(c, section('threshold-sec', 'Threshold', el('p', { id: 'threshold', text: st.threshold + ' yes vote' + (st.threshold === 1 ? '' : 's') + ' of current stewards pass a proposal.' })));
    var revoked = st.revoked.map(function (r) {
      return el('tr', { data: { did: r.did } }, el('td', null, didLink(r.did)), el('td', null, time(r.effective)), el('td', { text: r.reason }));
    });
    append(c, section('revoked-sec', 'Revoked keys', revoked.length ? table('revoked', ['Key', 'From', 'Reason'], revoked) : el('p', { id: 'revoked', class: 'note', text: 'No key is revoked.' })));
    var standings = Object.keys(st.datasets || {}).sort().map(function (id) {
      var s = st.datasets[id];
      return el('tr', null, el('td', null, idLink(id, shortID(id), 'dataset')), el('td', { text: s.status }), el('td', { text: s.reason }));
    });
    append(c, section('standings-sec', 'Dataset standings', standings.length ? table('standings', ['Dataset', 'Status', 'Reason'], standings) : el('p', { id: 'standings', class: 'note', text: 'Governance set no dataset standing.' })));
    var jobs = [];
    var proposals = st.proposals.slice().reverse().map(function (p) {
      var badge = verifyBadge();
      jobs.push({ id: p.id, network: false, badge: badge, match: null, update: function (u, signers) {
        if (!u.propose) return 'a proposal';
        if (u.author !== p.proposer) return 'the proposer';
        if (u.propose.action !== p.action) return 'the action';
        if ((u.propose.did || '') !== (p.did || '')) return 'the key';
        if ((u.propose.dataset || '') !== (p.dataset || '')) return 'the dataset';
        if ((u.propose.reason || '') !== (p.reason || '')) return 'the reason';
        if (!CommonsVerify.sameInstant(u.propose.expires, p.expires)) return 'the expiry';
        return '';
      } });
      var what = p.action + (p.did ? ' ' + p.did : '') + (p.dataset ? ' ' + p.dataset : '') + (p.dataset_status ? ' → ' + p.dataset_status : '') +
        (p.threshold ? ' ' + p.threshold : '') + (p.name ? ' ' + p.name + '=' + (p.value || '') : '');
      return el('tr', { data: { proposal: p.id }, class: p.status === 'open' ? 'open' : null },
        el('td', { text: what }), el('td', { text: p.status }), el('td', null, didLink(p.proposer)),
        el('td', { text: (p.yes || []).length + ' yes, ' + (p.no || []).length + ' no' }), el('td', null, time(p.expires)), el('td', { text: p.reason || '' }),
        el('td', null, idLink(p.id, shortID(p.id)), ' ', badge));
    });
    append(c, section('proposals-sec', 'Proposals', proposals.length ? table('proposals', ['Proposal', 'Status', 'Proposer', 'Votes', 'Expires', 'Reason', 'Signed update'], proposals, 'Newest first; open ones take votes until they expire. The status and the votes are the node\'s fold of the updates; each proposal\'s signed update is checked here.') :
      el('p', { id: 'proposals', class: 'note', text: 'No proposal yet.' })));
    var logRows = log.slice().reverse().slice(0, 200).map(function (e) {
      var what = e.propose ? 'propose ' + e.propose.action : e.vote ? 'vote ' + (e.vote.yes ? 'yes' : 'no') + ' on ' + shortID(e.vote.proposal) : e.rotate ? 'rotate a steward\'s key' : 'genesis';
      return el('tr', { data: { update: e.id } }, el('td', null, time(e.time)), el('td', null, didLink(e.author)),
        el('td', null, idLink(e.id, what)), el('td', { text: e.result + (e.why ? ': ' + e.why : '') }));
    });
    var propSec = $('#proposals-sec');
    await verifyRows(propSec || c, jobs);
    append(c, section('log-sec', 'Update log', logRows.length ? table('log', ['Time', 'Author', 'Update', 'Result'], logRows, log.length > 200 ? 'The newest 200 of ' + log.length + ' updates.' : 'Newest first.') :
      el('p', { id: 'log', class: 'note', text: 'No update yet.' })));
    ready();
  }

  async function nodePage() {
    setTitle('This node');
    var n = await api('/v1/node');
    var c = content();
    append(c, section('network-sec', 'Network', el('dl', { id: 'network' }, dlRows([
      ['Network ID', el('span', { class: 'id', text: n.network })], ['Node key', didLink(n.did, n.did)],
      ['Peer ID', el('span', { class: 'id', text: n.peer_id })], ['Version', n.version]
    ]))));
    var peersBody;
    try {
      var peers = await api('/v1/swarm/peers', false, true);
      peersBody = peers.length ? table('peers', ['Peer', 'Score', 'Credit'], peers.map(function (p) {
        return el('tr', null, el('td', { class: 'id', text: p.peer_id }), el('td', { class: 'num', text: p.score.toFixed(2) }), el('td', { class: 'num', text: p.credit.toFixed(2) }));
      }), peers.length + ' connected.') : el('p', { id: 'peers', text: 'No peer connected.' });
    } catch (e) {
      if (e instanceof Halt) throw e;
      peersBody = el('p', { id: 'peers', text: plural(n.peers, 'peer') + ' connected; the list of their addresses is not public.' });
    }
    append(c, section('peers-sec', 'Peers', peersBody));
    var objects = Object.keys(n.objects.by_kind).sort().map(function (k) {
      return el('tr', null, el('td', { text: k }), el('td', { class: 'num', text: String(n.objects.by_kind[k]) }));
    });
    objects.push(el('tr', null, el('td', { text: 'manifest chunks' }), el('td', { class: 'num', text: String(n.objects.chunks) })));
    append(c, section('objects-sec', 'Objects held', table('objects', ['Kind', 'Count'], objects, n.objects.total + ' objects.')));
    var health = n.health.map(function (m) {
      var labels = m.labels ? Object.keys(m.labels).map(function (k) { return k + '=' + m.labels[k]; }).join(', ') : '';
      return el('tr', null, el('td', { class: 'mono', text: m.name + (labels ? '{' + labels + '}' : '') }), el('td', { class: 'num', text: String(m.value) }), el('td', { text: m.help }));
    });
    append(c, section('health-sec', 'Announce and gossip', table('health', ['Metric', 'Value', 'Meaning'], health, 'The same numbers as /metrics.')));
    ready();
  }

  function loginPage() {
    var next = new URLSearchParams(location.search).get('next') || '/';
    if (next.charAt(0) !== '/' || next.charAt(1) === '/' || next.charAt(1) === '\\') next = '/';
    var input = $('#next');
    if (input) input.value = next;
    // The form posts to a URL that keeps next, so that a failed login's
    // page, at that URL, still knows where to go.
    var form = $('#login');
    if (form) form.setAttribute('action', '/login?next=' + encodeURIComponent(next));
    document.body.dataset.ready = '1';
  }

  // ---- the router ----

  function route() {
    var parts = location.pathname.split('/').map(function (p) {
      try { return decodeURIComponent(p); } catch (e) { return p; }
    });
    switch (parts[1]) {
      case '': return searchPage(true);
      case 'search': return searchPage(false);
      case 'dataset': return datasetPage(parts[2]);
      case 'object': return objectPage(parts[2]);
      case 'did': return didPage(parts.slice(2).join('/'));
      case 'governance': return governancePage();
      case 'node': return nodePage();
    }
    throw new ApiError(404, 'no such page');
  }

  function start() {
    if (document.body.dataset.page === 'login') { loginPage(); return; }
    Promise.resolve().then(route).catch(function (e) {
      if (e instanceof Halt) return;
      if (e instanceof ApiError && e.status === 404) showError('Not found: ' + e.message);
      else showError(e && e.message ? e.message : String(e));
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
