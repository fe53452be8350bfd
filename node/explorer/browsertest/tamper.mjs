// The dataset page through a proxy that doctors the dataset's signed
// envelope (explorer_test.go): the page, checking in the browser, must
// mark that answer not verified, and still mark the untouched ones
// verified.
import assert from 'node:assert/strict';
import { base, open, run, shot, noProblems } from './harness.mjs';

const w = JSON.parse(process.env.COMMONS_WALK);

await run([
  ['a doctored envelope is marked not verified', async (browser) => {
    const page = await open(browser);
    await page.goto(base + '/dataset/' + w.cleaned);
    await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.ready === 'error');
    const r = await page.evaluate(() => ({
      ready: document.body.dataset.ready,
      badges: Array.from(document.querySelectorAll('.verify')).map((b) => ({ v: b.dataset.verified, text: b.textContent, row: !!b.closest('tr') })),
      h1: document.querySelector('h1').textContent,
    }));
    assert.equal(r.ready, '1');
    const record = r.badges.filter((b) => !b.row);
    assert.ok(record.length > 0, 'the record has a verification badge');
    assert.ok(record.every((b) => b.v === 'false'), 'the doctored record is marked not verified: ' + JSON.stringify(record));
    assert.ok(r.badges.some((b) => b.row && b.v === 'true'), 'the untouched claims are still verified');
    assert.ok(!r.h1.includes('doctored'), 'the page does not show the doctored name as the truth');
    await shot(page, 'explorer-tampered');
    noProblems(page, 'tampered');
    await page.close();
  }],
]);
