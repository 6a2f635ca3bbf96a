// The share viewer over HTTPS, in headless Chromium (playwright-core, Debian's `chromium`). Driven by
// cli/tests/https.rs, which starts a server serving TLS with a certificate from a CA made for the
// test, and a HOME whose NSS database trusts that CA (as a person's browser trusts the public roots):
//   $SHARE_LINK: an https:// share link; $SHA256: hex SHA-256 of each page, comma-separated.
// Chromium gets no flag that weakens certificate checks: it must verify the chain itself. A second
// page loads the same link with the CA *not* trusted (another HOME) and must fail the handshake.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const link = process.env.SHARE_LINK;
const sha256 = (process.env.SHA256 || '').split(',').filter(Boolean);
const executablePath = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!executablePath || !link) {
  console.error('https test: Chromium or $SHARE_LINK missing');
  process.exit(2);
}

async function open(home) {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox'],
    env: { ...process.env, HOME: home },
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { browser, page, errors };
}

let failed = 0;
try {
  const { browser, page, errors } = await open(process.env.TRUSTING_HOME);
  assert.ok(link.startsWith('https://'), link);
  await page.goto(link);
  await page.waitForFunction(() => document.body.dataset.state, null, { timeout: 20000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  assert.equal(state, 'ready', await page.textContent('#status'));
  const figures = await page.$$eval('figure', (fs) => fs.map((f) => f.dataset.sha256));
  assert.deepEqual(figures, sha256, 'decrypted pages hash to the copies the core made');
  const secure = await page.evaluate(() => window.isSecureContext && location.protocol);
  assert.equal(secure, 'https:');
  assert.deepEqual(errors, []);
  await browser.close();
  console.log('ok - the share opens over HTTPS with the operator CA trusted');
} catch (e) {
  failed += 1;
  console.log(`not ok - trusted: ${e.message}`);
}

try {
  const { browser, page } = await open(process.env.UNTRUSTING_HOME);
  let refused = false;
  try {
    await page.goto(link, { timeout: 15000 });
  } catch (e) {
    refused = /ERR_CERT_AUTHORITY_INVALID|ERR_CERT/.test(String(e));
    if (!refused) throw e;
  }
  assert.ok(refused, 'a browser that does not trust the CA must refuse the page');
  await browser.close();
  console.log('ok - without the CA, Chromium refuses the certificate');
} catch (e) {
  failed += 1;
  console.log(`not ok - untrusted: ${e.message}`);
}
console.log(`${2 - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
