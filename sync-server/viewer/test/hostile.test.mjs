// Browser test of the share viewer against a hostile share creator (issue 14), in headless Chromium
// through playwright-core. Driven by cli/tests/share_viewer_attack.rs, which starts a real server,
// uploads the lying shares and passes their links in $HOSTILE_CASES (JSON):
//   { html: link, svg: link, html_as_png: link, png_as_html: { link, sha256 } }
// Every page's script would set document.title to "PWNED-…" and fetch /pwned/…, and the HTML asks for
// the 12 recovery words: none of that may happen or show,
// even when each blob: address the viewer made is opened in a new tab. Exits non-zero on any failure.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const cases = JSON.parse(process.env.HOSTILE_CASES || '{}');
const executablePath = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!executablePath) {
  console.error('hostile viewer test: Chromium not found (apt-get install chromium, or set CHROMIUM)');
  process.exit(2);
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
let failed = 0;
let passed = 0;
async function check(name, fn) {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const problems = [];
  try {
    await fn(page, context);
  } catch (e) {
    problems.push(e.message);
  }
  try {
    // Checked even when the viewer misbehaved above: did the attack itself work?
    await assertNothingRan(context, requests);
  } catch (e) {
    problems.push(e.message);
  }
  try {
    if (problems.length === 0) {
      passed += 1;
      console.log(`ok - ${name}`);
    } else {
      failed += 1;
      console.log(`not ok - ${name}: ${problems.join(' | ')}`);
    }
  } finally {
    await context.close();
  }
}

async function settle(page, link) {
  await page.goto(link);
  await page.waitForFunction(() => document.body.dataset.state, null, { timeout: 20000 });
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    error: document.body.dataset.error,
    status: document.getElementById('status').textContent,
    text: document.querySelector('main').textContent,
  }));
}

// Every object URL the viewer put in the page (images, links, frames).
const blobUrls = (page) =>
  page.$$eval('[src^="blob:"], [href^="blob:"], [data^="blob:"]', (els) =>
    els.map((e) => e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('data')));

// Opens each blob: address in a new tab, as "Ouvrir" or "open the image in a new tab" would.
async function openEveryBlob(page, context) {
  const urls = [...new Set(await blobUrls(page))];
  for (const u of urls) {
    const [tab] = await Promise.all([
      context.waitForEvent('page', { timeout: 5000 }),
      page.evaluate((x) => { window.open(x, '_blank'); }, u),
    ]);
    await tab.waitForLoadState('load').catch(() => {});
  }
  await page.waitForTimeout(1500);
  return urls;
}

async function assertNothingRan(context, requests) {
  for (const p of context.pages()) {
    const title = await p.title().catch(() => '');
    assert.doesNotMatch(title, /PWNED/, `the creator's script ran on ${p.url()}`);
    // The creator's HTML rendered on the server's origin is already the phishing page, script or not.
    const text = await p.evaluate(() => document.body?.innerText || '').catch(() => '');
    assert.doesNotMatch(text, /tapez vos 12 mots/, `the creator's page was rendered at ${p.url()}`);
  }
  const beacons = requests.filter((u) => u.includes('/pwned'));
  assert.deepEqual(beacons, [], "the creator's script reached the server");
}

async function refused(page, context, link) {
  const r = await settle(page, link);
  const urls = await openEveryBlob(page, context);
  assert.deepEqual(urls, [], 'no object URL is made for a page that is not JPEG, PNG or PDF');
  assert.equal(await page.$$eval('figure[data-refused]', (f) => f.length), 1, 'the page is marked refused');
  assert.match(r.text, /pas une image \(JPEG, PNG\) ni un PDF/);
  assert.equal((await page.$$('iframe, object, embed')).length, 0);
}

await check('an HTML page with script: refused, nothing runs', (page, context) => refused(page, context, cases.html));
await check('an SVG page with script: refused, nothing runs', (page, context) => refused(page, context, cases.svg));
await check('HTML announced as PNG: the bytes decide, refused', (page, context) =>
  refused(page, context, cases.html_as_png));

await check('a real PNG announced as HTML: shown as an image, never as HTML', async (page, context) => {
  const r = await settle(page, cases.png_as_html.link);
  assert.equal(r.state, 'ready', r.status);
  const figures = await page.$$eval('figure', (fs) => fs.map((f) => f.dataset.sha256));
  assert.deepEqual(figures, [cases.png_as_html.sha256]);
  const sizes = await page.$$eval('figure img', (imgs) => imgs.map((i) => i.naturalWidth));
  assert.deepEqual(sizes, [64], 'decoded as an image');
  assert.equal(await page.$$eval('a[download]', (a) => a.map((x) => x.getAttribute('download'))).then((n) => n[0].endsWith('.png')), true);
  await openEveryBlob(page, context);
});

await check('the viewer page itself has a strict CSP', async (page) => {
  const resp = await page.goto(cases.html);
  const csp = resp.headers()['content-security-policy'] || '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/);
  assert.equal(resp.headers()['x-content-type-options'], 'nosniff');
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
