// verify.js: checks in the reader's browser what the node serves (SPEC.md
// §2 and §4.2): every signature of a DSSE envelope (Ed25519 over the PAE,
// with the key its did:key names) and that the object's ID is the CID of
// its payload. Nothing here trusts the node: a doctored envelope, payload
// or ID fails. Exposed as window.CommonsVerify.
(function () {
  'use strict';

  var B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  var B32 = 'abcdefghijklmnopqrstuvwxyz234567';
  var enc = new TextEncoder();
  var MAX_ENVELOPE = 4194304;
  var MAX_SIGNATURES = 32;
  var PAYLOAD_TYPE = 'application/vnd.in-toto+json';
  var GOV_TYPE = 'application/vnd.commons.governance+json'; // SPEC §8.1
  var MAX_GOV_UPDATE = 65536;

  function fail(msg) { var e = new Error(msg); e.verifyFailure = true; throw e; }

  function base58(s) {
    var bytes = []; // little-endian while decoding
    for (var i = 0; i < s.length; i++) {
      var carry = B58.indexOf(s[i]);
      if (carry < 0) fail('did:key is not base58btc');
      for (var j = 0; j < bytes.length; j++) {
        carry += bytes[j] * 58;
        bytes[j] = carry & 0xff;
        carry >>= 8;
      }
      while (carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
    }
    for (var k = 0; k < s.length && s[k] === '1'; k++) bytes.push(0);
    return new Uint8Array(bytes.reverse());
  }

  // The Ed25519 public key a did:key names (SPEC §1.1): multibase z,
  // multicodec 0xed 0x01, 32 bytes.
  function didKey(did) {
    if (typeof did !== 'string' || did.indexOf('did:key:z') !== 0) fail('signer ' + JSON.stringify(did) + ' is not a did:key');
    var b = base58(did.slice('did:key:z'.length));
    if (b.length !== 34 || b[0] !== 0xed || b[1] !== 0x01) fail('signer ' + did + ' is not an Ed25519 did:key');
    return b.slice(2);
  }

  // base64 of SPEC §2.2: standard or URL-safe, padded or not.
  function base64(s, what) {
    if (typeof s !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) fail(what + ' is not base64');
    if (/[-_]/.test(s) && /[+/]/.test(s)) fail(what + ' mixes base64 alphabets');
    s = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (s.length % 4 === 1) fail(what + ' is not base64');
    while (s.length % 4) s += '=';
    var bin;
    try { bin = atob(s); } catch (e) { fail(what + ' is not base64'); }
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function concat(parts) {
    var n = 0, i;
    for (i = 0; i < parts.length; i++) n += parts[i].length;
    var out = new Uint8Array(n), at = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }

  // PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (SPEC §2.3).
  function pae(type, body) {
    var t = enc.encode(type);
    return concat([enc.encode('DSSEv1 ' + t.length + ' '), t, enc.encode(' ' + body.length + ' '), body]);
  }

  function base32(bytes) {
    var out = '', bits = 0, value = 0;
    for (var i = 0; i < bytes.length; i++) {
      value = (value << 8) | bytes[i];
      bits += 8;
      while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
    }
    if (bits > 0) out += B32[(value << (5 - bits)) & 31];
    return out;
  }

  function hex(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }

  // objectID is the canonical text of the object ID of a payload (SPEC
  // §4.2, §4.3): CIDv1, codec json, sha2-256 of the payload bytes.
  async function objectID(payload) {
    var d = await sha256(payload);
    return 'b' + base32(concat([new Uint8Array([0x01, 0x80, 0x04, 0x12, 0x20]), d]));
  }

  // artifactID is the canonical text of the artifact ID of a file's digest.
  function artifactID(sha256hex) {
    var d = new Uint8Array(32);
    for (var i = 0; i < 32; i++) d[i] = parseInt(sha256hex.substr(i * 2, 2), 16);
    return 'b' + base32(concat([new Uint8Array([0x01, 0x55, 0x12, 0x20]), d]));
  }

  var keyCache = new Map();
  function importKey(did) {
    if (!keyCache.has(did)) {
      keyCache.set(did, crypto.subtle.importKey('raw', didKey(did), { name: 'Ed25519' }, false, ['verify']));
    }
    return keyCache.get(did);
  }

  // envelope checks the text of an envelope served as object id. It
  // resolves to {ok: true, statement, signers, id} or {ok: false, reason}.
  async function envelope(id, text) {
    try {
      if (typeof text !== 'string' || text.length > MAX_ENVELOPE) fail('envelope over the size limit');
      var env;
      try { env = JSON.parse(text); } catch (e) { fail('envelope is not JSON'); }
      if (!env || typeof env !== 'object' || Array.isArray(env)) fail('envelope is not a JSON object');
      var keys = Object.keys(env).sort().join(',');
      if (keys !== 'payload,payloadType,signatures') fail('envelope has members ' + keys);
      var gov = env.payloadType === GOV_TYPE;
      if (env.payloadType !== PAYLOAD_TYPE && !gov) fail('payloadType is neither ' + PAYLOAD_TYPE + ' nor ' + GOV_TYPE);
      if (!Array.isArray(env.signatures) || env.signatures.length < 1) fail('envelope has no signature');
      if (gov && (env.signatures.length !== 1 || text.length > MAX_GOV_UPDATE)) fail('a governance update has exactly one signature and at most ' + MAX_GOV_UPDATE + ' bytes');
      if (env.signatures.length > MAX_SIGNATURES) fail('envelope has more than ' + MAX_SIGNATURES + ' signatures');
      var payload = base64(env.payload, 'payload');
      if (payload.length === 0) fail('payload is empty');
      var msg = pae(env.payloadType, payload);
      var signers = [];
      for (var i = 0; i < env.signatures.length; i++) {
        var s = env.signatures[i];
        if (!s || Object.keys(s).sort().join(',') !== 'keyid,sig') fail('signature ' + i + ' is not {keyid, sig}');
        var sig = base64(s.sig, 'signature of ' + s.keyid);
        if (sig.length !== 64) fail('signature of ' + s.keyid + ' is not 64 bytes');
        var key = await importKey(s.keyid);
        var good = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
        if (!good) fail('signature of ' + s.keyid + ' does not verify');
        signers.push(s.keyid);
      }
      var got = await objectID(payload);
      if (id && got !== id) fail('payload hashes to ' + got + ', not to the ID asked for');
      var statement;
      try { statement = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)); } catch (e) { fail('payload is not UTF-8 JSON'); }
      if (gov) {
        if (!statement || typeof statement !== 'object' || statement.author !== signers[0]) fail('the governance update is not signed by its author');
        return { ok: true, id: got, update: statement, signers: signers };
      }
      if (!statement || statement._type !== 'https://in-toto.io/Statement/v1') fail('payload is not an in-toto Statement v1');
      return { ok: true, id: got, statement: statement, signers: signers };
    } catch (e) {
      return { ok: false, reason: e.verifyFailure ? e.message : 'cannot check: ' + (e && e.message || e) };
    }
  }

  // fetchEnvelope reads /v1/objects/ID (from the local store unless
  // network) and checks it. The answer's text is kept for envelope's eyes
  // alone: what a page shows comes from the statement it returns.
  async function fetchEnvelope(id, network) {
    var url = '/v1/objects/' + encodeURIComponent(id) + (network ? '' : '?local=1');
    var r;
    try {
      r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    } catch (e) {
      return { ok: false, reason: 'cannot fetch the envelope: ' + e.message };
    }
    if (!r.ok) return { ok: false, reason: 'the node did not serve the envelope (' + r.status + ')' };
    return envelope(id, await r.text());
  }

  var KINDS = {
    'https://commons.network/dataset/v1': 'dataset',
    'https://commons.network/attribution/v1': 'attribution',
    'https://commons.network/derivation/v1': 'derivation',
    'https://commons.network/endorsement/v1': 'endorsement',
    'https://commons.network/revocation/v1': 'revocation',
    'https://commons.network/key-rotation/v1': 'rotation'
  };
  function kindOf(statement) { return KINDS[statement && statement.predicateType] || 'unknown'; }

  // sameInstant compares two times as instants: the API writes them in
  // UTC, a payload as its signer did.
  function sameInstant(a, b) {
    if (!a && !b) return true;
    var x = Date.parse(a), y = Date.parse(b);
    return !isNaN(x) && x === y;
  }

  window.CommonsVerify = {
    envelope: envelope,
    fetchEnvelope: fetchEnvelope,
    objectID: objectID,
    artifactID: artifactID,
    kindOf: kindOf,
    sameInstant: sameInstant,
    hex: hex,
    sha256: sha256
  };
})();
