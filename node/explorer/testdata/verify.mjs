// Runs assets/verify.js, the explorer's in-browser verifier, under
// Node.js's Web Crypto: reads [{id, envelope}] as JSON on stdin and writes
// [{ok, reason}] for each, in order.
import fs from 'node:fs';
import path from 'node:path';
import url from 'node:url';

const here = path.dirname(url.fileURLToPath(import.meta.url));
globalThis.window = globalThis;
(0, eval)(fs.readFileSync(path.join(here, '..', 'assets', 'verify.js'), 'utf8'));
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = [];
for (const c of cases) {
  const r = await window.CommonsVerify.envelope(c.id, c.envelope);
  out.push({ ok: r.ok, reason: r.reason || '' });
}
process.stdout.write(JSON.stringify(out));
