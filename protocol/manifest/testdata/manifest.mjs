// An independent implementation of the manifest format of SPEC.md §3.8,
// written from the text: it builds the tree of the vector of §9.11 level
// by level (not streaming, as the Go Builder does) and prints the vector
// in the form of testdata/vector-manifest.txt; with the argument record,
// the subject and the manifest member of a dataset record naming that
// tree (SPEC.md §3.8 "The record", the dataset of §9.12), as JSON.
//
//	node testdata/manifest.mjs
//	node testdata/manifest.mjs record
import { createHash } from "node:crypto";

const MAGIC = Buffer.from("commons/manifest/v1\n");
const DOMAIN = "commons/manifest/boundary/v1\n";
const LEAF_BITS = 4, BRANCH_BITS = 5, MAX_ITEMS = 256;

const sha256 = (b) => createHash("sha256").update(b).digest();
const key = (path) => path.normalize("NFC");

function zeros(k) {
  const h = sha256(Buffer.concat([Buffer.from(DOMAIN), Buffer.from(k, "utf8")]));
  let n = 0;
  for (const byte of h.subarray(0, 8)) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((byte >> bit) & 1) return { n, h };
      n++;
    }
  }
  return { n, h };
}
const ends = (k, level) => zeros(k).n >= LEAF_BITS + level * BRANCH_BITS;

function uvarint(v) {
  v = BigInt(v);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

function text(prev, s) {
  const a = Buffer.from(prev, "utf8"), b = Buffer.from(s, "utf8");
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return Buffer.concat([uvarint(n), uvarint(b.length - n), b.subarray(n)]);
}

// encode a chunk of items: leaf items {path, size, digest}, branch items {key, count, bytes, id}
function encode(level, items) {
  const parts = [MAGIC, Buffer.from([level]), uvarint(items.length)];
  let prev = "";
  for (const it of items) {
    if (level === 0) {
      parts.push(text(prev, it.path), uvarint(it.size), it.digest);
      prev = it.path;
    } else {
      parts.push(text(prev, it.key), uvarint(it.count), uvarint(it.bytes), it.id);
      prev = it.key;
    }
  }
  return Buffer.concat(parts);
}

function base32(b) {
  const alpha = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0, value = 0, out = "";
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alpha[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alpha[(value << (5 - bits)) & 31];
  return out;
}
const cid = (digest) => "b" + base32(Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest]));

const entries = [0, 1, 2].map((i) => {
  const body = Buffer.from(`part ${i}\n`);
  return { path: `data/part-${i}.csv`, size: body.length, digest: sha256(body) };
});
entries.push({ path: "hello.txt", size: 6, digest: sha256(Buffer.from("hello\n")) });
entries.sort((a, b) => Buffer.compare(Buffer.from(key(a.path)), Buffer.from(key(b.path))));

const written = [];
let level = 0;
let items = entries.map((e) => ({ ...e, key: key(e.path), count: 1, bytes: e.size }));
let root;
for (;;) {
  const chunks = [];
  let cur = [];
  items.forEach((it, i) => {
    cur.push(it);
    if (ends(it.key, level) || cur.length === MAX_ITEMS || i === items.length - 1) {
      chunks.push(cur);
      cur = [];
    }
  });
  const refs = chunks.map((c) => {
    const raw = encode(level, c);
    const digest = sha256(raw);
    written.push({ level, n: c.length, raw, digest });
    return {
      key: c[c.length - 1].key,
      count: c.reduce((s, x) => s + x.count, 0),
      bytes: c.reduce((s, x) => s + x.bytes, 0),
      id: digest,
    };
  });
  if (refs.length === 1) {
    root = refs[0];
    break;
  }
  items = refs;
  level++;
}

if (process.argv[2] === "record") {
  const name = cid(root.id);
  process.stdout.write(`subject: ${JSON.stringify([{ name, digest: { sha256: root.id.toString("hex") } }])}\n`);
  process.stdout.write(`manifest: ${JSON.stringify({ root: name, count: root.count, bytes: root.bytes })}\n`);
  process.exit(0);
}

let out = "| path | size | sha256 | first 8 bytes of the boundary hash | leading zeros |\n|---|---|---|---|---|\n";
for (const e of entries) {
  const { n, h } = zeros(key(e.path));
  out += `| \`${e.path}\` | ${e.size} | \`${e.digest.toString("hex")}\` | \`${h.subarray(0, 8).toString("hex")}\` | ${n} |\n`;
}
written.forEach((c, i) => {
  out += `\nChunk ${i + 1}, level ${c.level}, ${c.n} ${c.n === 1 ? "item" : "items"}, ${c.raw.length} bytes, ID \`${cid(c.digest)}\`:\n\n\`\`\`\n`;
  out += c.raw.toString("hex").match(/.{1,64}/g).join("\n") + "\n```\n";
});
out += `\nRoot: \`${cid(root.id)}\`, count ${root.count}, bytes ${root.bytes}.\n`;
process.stdout.write(out);
