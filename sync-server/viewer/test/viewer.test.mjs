// Browser test of the share viewer, in headless Chromium through playwright-core (no browser download:
// Debian's `chromium`, or $CHROMIUM). Driven by cli/tests/share_browser.rs, which starts a real server,
// creates the shares with the `coffre` CLI and passes them in $SHARE_CASES (JSON):
//   { ok: { link, sha256: [hex per page] }, expired: link, revoked: link, exhausted: link, broken: link }
// Exits non-zero (with the reason) on any failure.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const cases = JSON.parse(process.env.SHARE_CASES || '{}');
const executablePath = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!executablePath) {
  console.error('viewer test: Chromium not found (apt-get install chromium, or set CHROMIUM)');
  process.exit(2);
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
let failed = 0;
let passed = 0;
async function check(name, fn, options = { locale: 'fr-FR' }) {
  const page = await browser.newPage(options);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await fn(page);
    assert.deepEqual(errors, [], 'no script errors');
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}: ${e.message}`);
  } finally {
    await page.close();
  }
}

async function settle(page, link) {
  await page.goto(link);
  await page.waitForFunction(() => document.body.dataset.state, null, { timeout: 20000 });
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    error: document.body.dataset.error,
    status: document.getElementById('status').textContent,
  }));
}

await check('opens the share and shows the decrypted pages', async (page) => {
  const r = await settle(page, cases.ok.link);
  assert.equal(r.state, 'ready', r.status);
  const figures = await page.$$eval('figure', (fs) => fs.map((f) => f.dataset.sha256));
  assert.deepEqual(figures, cases.ok.sha256, 'decrypted bytes hash to the copies the core made');
  // The images really decoded in the browser.
  const sizes = await page.$$eval('figure img', (imgs) => imgs.map((i) => [i.complete, i.naturalWidth]));
  assert.ok(sizes.length > 0 && sizes.every(([done, w]) => done && w > 0), JSON.stringify(sizes));
  const text = await page.textContent('main');
  assert.match(text, /Ce lien expire le/);
  assert.match(text, /Copie marquée « COPIE »/);
  assert.ok(await page.isVisible('text=Imprimer'), 'print button');
  assert.ok((await page.$$('a[download]')).length === cases.ok.sha256.length, 'one download per page');
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
});

const refusals = [
  ['expired', 'share_expired', /a expiré/],
  ['revoked', 'share_revoked', /a retiré ce lien/],
  ['exhausted', 'share_exhausted', /ouvert trop de fois/],
];
for (const [key, code, text] of refusals) {
  await check(`says clearly that the link is ${key}`, async (page) => {
    const r = await settle(page, cases[key]);
    assert.equal(r.state, 'error');
    assert.equal(r.error, code);
    assert.match(r.status, text);
    assert.equal(await page.getAttribute('#status', 'role'), 'alert');
  });
}

await check('a link with a wrong key opens nothing (and uses no opening)', async (page) => {
  const r = await settle(page, cases.broken);
  assert.equal(r.state, 'error');
  // Without the key's proof the server counts nothing and answers "not found".
  assert.equal(r.error, 'share_not_found');
  assert.equal((await page.$$('figure')).length, 0);
});

await check('an unknown link is "introuvable"', async (page) => {
  const u = new URL(cases.ok.link);
  const r = await settle(page, `${u.origin}/s/AAAAAAAAAAAAAAAAAAAAAA${u.hash}`);
  assert.equal(r.error, 'share_not_found');
  assert.match(r.status, /introuvable/);
});

// The page speaks the browser's language (fr, en, ar), Arabic right to left, and a switch on the
// page changes it. Checked on the expired link: opening it counts nothing.
const inLanguage = [
  ['fr-FR', 'fr', 'ltr', /Ce lien a expiré/, 'Documents partagés'],
  ['en-GB', 'en', 'ltr', /This link has expired/, 'Shared documents'],
  ['ar-MA', 'ar', 'rtl', /انتهت صلاحية هذا الرابط/, 'وثائق مُشاركة'],
];
for (const [locale, lang, dir, status, title] of inLanguage) {
  await check(`speaks ${lang} to a browser in ${locale}`, async (page) => {
    const r = await settle(page, cases.expired);
    assert.equal(r.error, 'share_expired');
    assert.match(r.status, status);
    const html = await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
    assert.deepEqual(html, [lang, dir]);
    assert.equal((await page.textContent('h1')).trim(), title);
    // What is on screen, not only in the DOM: the visible text of the page.
    assert.match(await page.innerText('main'), status);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT.replace(/(\.png)?$/, `-${lang}.png`) });
  }, { locale });
}

await check('the language switch rewrites the page, Arabic right to left', async (page) => {
  await settle(page, cases.expired);
  await page.click('#langs button[data-lang="ar"]');
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  assert.match(await page.innerText('#status'), /انتهت صلاحية هذا الرابط/);
  await page.click('#langs button[data-lang="en"]');
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'ltr');
  assert.match(await page.innerText('#status'), /This link has expired/);
  assert.equal(await page.getAttribute('#langs button[data-lang="en"]', 'aria-pressed'), 'true');
}, { locale: 'fr-FR' });

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
