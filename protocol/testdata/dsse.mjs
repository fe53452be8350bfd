#!/usr/bin/env node
// dsse.mjs — a second, independent implementation of commons envelopes
// (SPEC.md §1, §2, §4), written from the spec and sharing no code with the
// Go package: its own PAE, its own base58btc did:key, its own CID, and
// Ed25519 from Node's crypto (OpenSSL). The Go tests run it to check that
// each side verifies what the other signed.
//
//   node dsse.mjs did <seed-hex>
//       print the did:key of an Ed25519 seed
//   node dsse.mjs sign <seed-hex>[,<seed-hex>...] <payload-file> [--b64 V] [--type T]
//       print an envelope of the payload signed by each seed; V is std
//       (default), std-nopad, url or url-nopad; T defaults to in-toto
//   node dsse.mjs verify <envelope-file>
//       check every signature against the key its did:key names; print
//       {"id":…,"payloadType":…,"signers":[…]} and exit 0, or a reason on
//       stderr and exit 1
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const IN_TOTO = 'application/vnd.in-toto+json';

// --- base58btc (Bitcoin alphabet) ---
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function b58encode(bytes) {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

function b58decode(s) {
  let n = 0n;
  for (const c of s) {
    const v = B58.indexOf(c);
    if (v < 0) throw new Error(`bad base58btc character ${JSON.stringify(c)}`);
    n = n * 58n + BigInt(v);
  }
  const bytes = [];
  while (n > 0n) {
    bytes.unshift(Number(n % 256n));
    n /= 256n;
  }
  for (const c of s) {
    if (c !== '1') break;
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}

// --- did:key, Ed25519: "did:key:z" + base58btc(0xed 0x01 || 32-byte key) ---
function didFromPublicKey(pub) {
  return 'did:key:z' + b58encode(Buffer.concat([Buffer.from([0xed, 0x01]), pub]));
}

function publicKeyFromDID(did) {
  if (typeof did !== 'string' || !did.startsWith('did:key:z')) throw new Error(`keyid ${JSON.stringify(did)} is not a did:key in base58btc`);
  const raw = b58decode(did.slice('did:key:z'.length));
  if (raw.length !== 34 || raw[0] !== 0xed || raw[1] !== 0x01) throw new Error(`keyid ${did} does not hold an Ed25519 key`);
  return raw.subarray(2);
}

// DER wrappers that let OpenSSL take raw Ed25519 keys (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function keyFromSeed(hex) {
  const seed = Buffer.from(hex, 'hex');
  if (seed.length !== 32 || seed.toString('hex') !== hex.toLowerCase()) throw new Error(`seed ${hex} is not 32 bytes of hex`);
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  return { priv, did: didFromPublicKey(spki.subarray(SPKI_PREFIX.length)) };
}

function publicKeyObject(raw) {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

// --- DSSE v1 ---
function pae(type, body) {
  const t = Buffer.from(type, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

function b64encode(buf, variant) {
  switch (variant) {
    case 'std': return buf.toString('base64');
    case 'std-nopad': return buf.toString('base64').replace(/=+$/, '');
    case 'url': return buf.toString('base64url') + '='.repeat((4 - (buf.toString('base64url').length % 4)) % 4);
    case 'url-nopad': return buf.toString('base64url');
  }
  throw new Error(`unknown base64 variant ${variant}`);
}

// Strict: one alphabet, padding only if complete, no other characters,
// no stray bits. Buffer.from alone would skip what it does not know.
function b64decode(s, what) {
  if (typeof s !== 'string') throw new Error(`${what} is not a string`);
  const url = /[-_]/.test(s);
  const re = url ? /^[A-Za-z0-9_-]*(={0,2})$/ : /^[A-Za-z0-9+/]*(={0,2})$/;
  const m = re.exec(s);
  if (!m) throw new Error(`${what} is not base64`);
  if (m[1].length > 0 && s.length % 4 !== 0) throw new Error(`${what} has bad padding`);
  const body = s.slice(0, s.length - m[1].length);
  if (body.length % 4 === 1) throw new Error(`${what} has a bad length`);
  if (m[1].length > 0 && (body.length + m[1].length) % 4 !== 0) throw new Error(`${what} has bad padding`);
  const buf = Buffer.from(body, url ? 'base64url' : 'base64');
  const again = buf.toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
  if (again !== body) throw new Error(`${what} is not canonical base64`);
  return buf;
}

// --- IDs: CIDv1, multicodec json (0x0200, varint 0x80 0x04), sha2-256 ---
function base32lower(buf) {
  const A = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0, out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += A[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += A[(value << (5 - bits)) & 31];
  return out;
}

function objectID(payload) {
  const digest = createHash('sha256').update(payload).digest();
  return 'b' + base32lower(Buffer.concat([Buffer.from([0x01, 0x80, 0x04, 0x12, 0x20]), digest]));
}

// --- commands ---
function cmdSign(seeds, payloadFile, opts) {
  const payload = readFileSync(payloadFile);
  const type = opts.type ?? IN_TOTO;
  const msg = pae(type, payload);
  const sigs = seeds.split(',').map((hex) => {
    const k = keyFromSeed(hex);
    return { keyid: k.did, sig: b64encode(sign(null, msg, k.priv), opts.b64) };
  });
  const env = { payloadType: type, payload: b64encode(payload, opts.b64), signatures: sigs };
  process.stdout.write(JSON.stringify(env) + '\n');
}

function cmdVerify(envelopeFile) {
  const env = JSON.parse(readFileSync(envelopeFile, 'utf8'));
  if (typeof env.payloadType !== 'string' || env.payloadType === '') throw new Error('missing payloadType');
  const payload = b64decode(env.payload, 'payload');
  if (!Array.isArray(env.signatures) || env.signatures.length === 0) throw new Error('no signatures');
  const msg = pae(env.payloadType, payload);
  const signers = [];
  env.signatures.forEach((s, i) => {
    const pub = publicKeyFromDID(s.keyid);
    const sig = b64decode(s.sig, `signature ${i} sig`);
    if (sig.length !== 64) throw new Error(`signature ${i} is ${sig.length} bytes, want 64`);
    if (!verify(null, msg, publicKeyObject(pub), sig)) throw new Error(`signature ${i} by ${s.keyid} does not verify`);
    signers.push(s.keyid);
  });
  process.stdout.write(JSON.stringify({ id: objectID(payload), payloadType: env.payloadType, signers }) + '\n');
}

function main(argv) {
  const [cmd, ...rest] = argv;
  const opts = { b64: 'std' };
  const args = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--b64') opts.b64 = rest[++i];
    else if (rest[i] === '--type') opts.type = rest[++i];
    else args.push(rest[i]);
  }
  switch (cmd) {
    case 'did':
      process.stdout.write(keyFromSeed(args[0]).did + '\n');
      return;
    case 'sign':
      cmdSign(args[0], args[1], opts);
      return;
    case 'verify':
      cmdVerify(args[0]);
      return;
  }
  throw new Error('usage: dsse.mjs did <seed-hex> | sign <seed-hex>[,…] <payload-file> [--b64 std|std-nopad|url|url-nopad] [--type T] | verify <envelope-file>');
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`dsse.mjs: ${e.message}\n`);
  process.exit(1);
}
