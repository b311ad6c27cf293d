// One studio build, timed in the page: starts `vsc studio DIR`, opens SCRIPT in headless
// Chromium, presses Build and reports (as JSON on stdout) the seconds from the press to the
// first scene preview on screen and to the build's end, and the CPU seconds spent meanwhile
// by the build itself (`vsc run`, the studio's child), by the studio server around it and by
// the browser (every Chromium process). Used by bench/studio/run.sh.
//   node first_preview.mjs VSC DIR SCRIPT WEB_BUILD_DIR [preview:0|1]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [vsc, dir, script, web, previewArg = '1'] = process.argv.slice(2);
const require = createRequire(join(web, 'package.json'));
const puppeteer = require('puppeteer-core');

// CPU seconds of one process from /proc: [own (utime+stime), waited-for children].
const HZ = 100; // USER_HZ: the unit of /proc/PID/stat on Linux
function cpuOf(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    // fields from 3 (state): utime is 14, stime 15, cutime 16, cstime 17, ppid 4
    return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / HZ, children: (Number(f[13]) + Number(f[14])) / HZ };
  } catch {
    return { ppid: -1, own: 0, children: 0 };
  }
}
// Every live process under `root` (itself included), with what they have used.
function treeCpu(root) {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => [Number(d), cpuOf(d)]);
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, c] of all) if (!inTree.has(pid) && inTree.has(c.ppid)) inTree.add(pid), (grew = true);
  }
  return all.filter(([pid]) => inTree.has(pid)).reduce((a, [, c]) => a + c.own + c.children, 0);
}

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
  const s0 = cpuOf(server.pid), b0 = treeCpu(browser.process().pid);
  await page.click('[data-testid=build]');
  // Woken by the page's own change at the end (Stop becomes Build again), not by polling:
  // the bench itself must not take CPU from the build.
  await page.evaluate(
    () =>
      new Promise((resolve) => {
        const done = () => window.__vscStudio.status !== '' && !window.__vscStudio.running;
        if (done()) return resolve();
        const obs = new MutationObserver(() => done() && (obs.disconnect(), resolve()));
        obs.observe(document.querySelector('header'), { subtree: true, childList: true, characterData: true });
      }),
  );
  const endAt = await page.evaluate(() => performance.now());
  const s1 = cpuOf(server.pid), b1 = treeCpu(browser.process().pid);
  // The first preview may be drawn a moment after it arrived: the page records the time.
  await page.click('[data-testid=tab-build]');
  await page.waitForFunction(() => window.__vscStudio.firstPreviewAt > 0, { timeout: 30000 });
  const r = await page.evaluate(() => ({
    clicked: window.__vscStudio.clickedAt,
    first: window.__vscStudio.firstPreviewAt,
    status: window.__vscStudio.status,
    run: window.__vscStudio.runSeconds,
  }));
  console.log(JSON.stringify({
    status: r.status,
    first_preview: (r.first - r.clicked) / 1000,
    total: (endAt - r.clicked) / 1000,
    run: r.run,
    cpu_run: s1.children - s0.children, // the `vsc run` child, reaped by the server
    cpu_server: s1.own - s0.own,
    cpu_browser: b1 - b0,
  }));
} finally {
  await browser.close();
  server.kill('SIGINT');
}
