// Opens a share link in headless Chromium (Debian's `chromium`, or $CHROMIUM) as a recipient would,
// waits for the viewer to decrypt it, and prints what the recipient sees: the state, the page count
// and the SHA-256 of each decrypted page. Used by scripts/demo.sh. Usage: node open-share.mjs LINK [SCREENSHOT.png]
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [link, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!link || !executablePath) {
  console.error(link ? 'Chromium not found (apt-get install chromium, or set CHROMIUM)' : 'usage: open-share.mjs LINK');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto(link);
  await page.waitForFunction(() => document.body.dataset.state, null, { timeout: 20000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  const pages = await page.$$eval('figure', (fs) => fs.map((f) => f.dataset.sha256));
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`chromium: ${state}, ${pages.length} page(s) decrypted in the browser`);
  for (const [i, h] of pages.entries()) console.log(`  page ${i + 1} sha256 ${h}`);
  if (state !== 'ready') process.exit(1);
} finally {
  await browser.close();
}
