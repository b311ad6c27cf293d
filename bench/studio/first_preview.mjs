// One studio build, timed in the page: starts `vsc studio DIR`, opens SCRIPT in headless
// Chromium, presses Build and reports (as JSON on stdout) the seconds from the press to the
// first scene preview on screen and to the build's end. Used by bench/studio/run.sh.
//   node first_preview.mjs VSC DIR SCRIPT WEB_BUILD_DIR [preview:0|1]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [vsc, dir, script, web, previewArg = '1'] = process.argv.slice(2);
const require = createRequire(join(web, 'package.json'));
const puppeteer = require('puppeteer-core');

const server = spawn(vsc, ['studio', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    const m = buf.match(/^(http:\S+)\n/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (c) => reject(new Error(`vsc studio exited ${c}`)));
});
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  protocolTimeout: 0, // a build on a loaded machine may take longer than puppeteer's 180 s
  args: ['--no-sandbox', '--disable-gpu', '--mute-audio'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector(`[data-testid=file][data-path="${script}"]`);
  await page.click(`[data-testid=file][data-path="${script}"]`);
  await page.waitForFunction((p) => location.hash === `#${encodeURIComponent(p)}`, {}, script);
  await page.waitForSelector('[data-testid=diag-ok], [data-testid=diag]');
  const wantPreview = previewArg === '1';
  await page.$eval('.chk input', (el, want) => { if (el.checked !== want) el.click(); }, wantPreview);
  await page.waitForFunction(() => !document.querySelector('[data-testid=build]').disabled);
  await page.click('[data-testid=build]');
  await page.waitForFunction(() => window.__vscStudio.status !== '' && !window.__vscStudio.running, { timeout: 600000, polling: 50 });
  const endAt = await page.evaluate(() => performance.now());
  // The first preview may be drawn a moment after it arrived: the page records the time.
  await page.click('[data-testid=tab-build]');
  await page.waitForFunction(() => window.__vscStudio.firstPreviewAt > 0, { timeout: 30000 });
  const r = await page.evaluate(() => ({
    clicked: window.__vscStudio.clickedAt,
    first: window.__vscStudio.firstPreviewAt,
    status: window.__vscStudio.status,
    run: window.__vscStudio.runSeconds,
  }));
  console.log(JSON.stringify({ status: r.status, first_preview: (r.first - r.clicked) / 1000, total: (endAt - r.clicked) / 1000, run: r.run }));
} finally {
  await browser.close();
  server.kill('SIGINT');
}
