// The studio in a real browser: Debian's Chromium driven by puppeteer-core (never a
// downloaded browser). Starts `vsc studio` on a free loopback port over a copy of the
// examples, then works the page as a producer would. A screenshot of each failure goes to
// $VSC_ARTIFACTS (in the build dir). Run by ctest as studio.browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import puppeteer from 'puppeteer-core';

const VSC = process.env.VSC_BIN;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const EXAMPLES = process.env.VSC_EXAMPLES;
const ARTIFACTS = process.env.VSC_ARTIFACTS ?? join(process.cwd(), 'studio-artifacts');
if (!VSC || !EXAMPLES) throw new Error('set VSC_BIN and VSC_EXAMPLES');

const SMALL = `video "small" {
  size 320x180
  fps 12
  length 3s
  scene intro (1s) {
    shot video "waves at dusk"
    text "hello" at center
    then fade 0.5s
  }
  scene still (1s) {
    shot image "a blue square"
  }
  scene card (rest) {
    shot color #203040
    text "the end" at center
  }
}
`;
// The queue and Stop steps hold their build still while they click (buildHeld), so these
// lengths (some seconds on two cores) are only a margin, never what the steps rely on.
const SLOW = `video "slow" {
  size 1280x720
  fps 24
  length 60s
  scene a (5s) {
    shot video "waves on a beach at dusk"
  }
  scene b (5s) {
    shot video "a city street in the rain"
  }
  scene c (5s) {
    shot video "a forest path in fog"
  }
  scene d (rest) {
    shot video "a desert road at noon"
  }
}
`;

const STOPPABLE = `video "stoppable" {
  size 1280x720
  fps 24
  length 60s
${Array.from({ length: 12 }, (_, i) => `  scene s${i} (5s) {\n    shot video "a lighthouse beam, take ${i}"\n  }\n`).join('')}}
`;

let dir, server, url, browser, page;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vsc-studio-browser-'));
  // The examples without a cache or ledger a render of them may have left (`.vsc`).
  cpSync(EXAMPLES, dir, { recursive: true, filter: (src) => basename(src) !== '.vsc' });
  writeFileSync(join(dir, 'small.vscript'), SMALL);
  writeFileSync(join(dir, 'slow.vscript'), SLOW);
  writeFileSync(join(dir, 'stoppable.vscript'), STOPPABLE);
  server = spawn(VSC, ['studio', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise((resolve, reject) => {
    let buf = '';
    server.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/^(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})\n/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`vsc studio exited with ${code}`)));
    setTimeout(() => reject(new Error('vsc studio printed no URL')), 10000);
  });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
  page = await browser.newPage();
  page.setDefaultTimeout(60000); // generous: CI runs this beside other suites, under ASan
  await page.setViewport({ width: 1440, height: 900 });
  page.on('dialog', (d) => d.accept());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.errors = errors;
  await page.goto(url, { waitUntil: 'load' });
  // The token left the address bar: it now lives in an HttpOnly cookie.
  assert.ok(!page.url().includes('token='), `token still in the URL: ${page.url()}`);
  // The page opens the first script (ad.vscript) by itself; Build is enabled once it has. A
  // click on a file before then could be overtaken by that first opening.
  await page.waitForSelector('[data-testid=build]:not([disabled])');
});

async function shot(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name.replace(/\W+/g, '_')}.png`) }).catch(() => {});
}

// A build is `vsc run PLAN` in a process group of its own, a child of the studio (build.c).
// The queue and Stop steps stop that group (SIGSTOP) as soon as it has started, seconds
// before it could end, and let it go (SIGCONT) once they have clicked: however fast this
// machine renders, the build is still running when Queue, Unqueue and Stop are pressed.
const held = new Set();
let generation = 0; // bumped by release(): a search still under way gives up

// The studio's child running the plan of `script`, once it handles SIGINT (pid, or 0).
function runOf(script) {
  const plan = script.replace(/\.vscript$/, '.plan.json');
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== server.pid || Number(pgrp) !== Number(pid) || state === 'Z') continue;
      // Before its exec the child still reads as `vsc studio` and shares the studio's memory
      // (vfork): stopping it then would stop the studio's spawning thread too.
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[1] !== 'run' || basename(argv[2] ?? '') !== plan) continue;
      // Held before it catches SIGINT, Stop's SIGINT would kill it outright instead of
      // stopping it as Ctrl-C does; it catches it just before the run (cmd_run.c).
      const caught = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^SigCgt:\s*([0-9a-f]+)$/m);
      if (caught && (BigInt(`0x${caught[1]}`) >> 1n) & 1n) return Number(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  return 0;
}

// Clicks Build and stops the build of `script` as soon as it is under way.
async function buildHeld(script) {
  const found = (async () => {
    const gen = generation, until = Date.now() + 60000;
    while (gen === generation && Date.now() < until) {
      const pid = runOf(script);
      if (pid) {
        process.kill(-pid, 'SIGSTOP');
        held.add(pid);
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`no build of ${script} started`);
  })();
  found.catch(() => {}); // awaited below, unless the click fails first
  await page.click('[data-testid=build]');
  await found;
}

function release() {
  generation++;
  for (const pid of held) {
    try {
      process.kill(-pid, 'SIGCONT');
    } catch {
      /* it has ended */
    }
  }
  held.clear();
}

// The preview checkbox keeps its state from step to step: a step that needs one sets it.
async function setPreview(on) {
  if ((await page.$eval('[data-testid=preview-toggle]', (c) => c.checked)) !== on) await page.click('[data-testid=preview-toggle]');
  assert.equal(await page.$eval('[data-testid=preview-toggle]', (c) => c.checked), on);
}

// Runs a test body; on failure saves a screenshot first. A build it held is let go.
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(name);
      throw e;
    } finally {
      release();
    }
  });
}

after(async () => {
  release(); // a frozen build would not hear the studio's SIGINT when it stops
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGINT');
    await new Promise((r) => server.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const $$count = (sel) => page.$$eval(sel, (els) => els.length);
const text = (sel) => page.$eval(sel, (el) => el.textContent.trim());

async function openScript(path) {
  // Opening the script already open loads it again: its scenes shown until then are stale.
  await page.$$eval('[data-testid=scene]', (els) => els.forEach((e) => (e.dataset.stale = '')));
  await page.click(`[data-testid=file][data-path="${path}"]`);
  await page.waitForFunction(
    (p) => location.hash === `#${encodeURIComponent(p)}` && !document.querySelector('[data-testid=scene][data-stale]'),
    {},
    path,
  );
}

// Replaces the text of line `line` (1-based) with `replacement` by selecting it in the
// editor and typing, as a person would.
async function retype(line, find, replacement) {
  await page.$eval(
    '[data-testid=source]',
    (ta, line, find) => {
      const lines = ta.value.split('\n');
      let off = 0;
      for (let i = 0; i < line - 1; i++) off += lines[i].length + 1;
      const at = lines[line - 1].indexOf(find);
      if (at < 0) throw new Error(`'${find}' is not on line ${line}: ${lines[line - 1]}`);
      ta.focus();
      ta.setSelectionRange(off + at, off + at + find.length);
    },
    line,
    find,
  );
  await page.keyboard.type(replacement);
}

step('opens an example and shows its plan', async () => {
  await page.waitForSelector('[data-testid=file][data-path="ad.vscript"]');
  await openScript('ad.vscript');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length === 6);
  const names = await page.$$eval('[data-testid=scene]', (els) => els.map((e) => e.dataset.scene));
  assert.deepEqual(names, ['sunrise', 'pour', 'beans', 'cup', 'offer', 'outro']);
  await page.waitForSelector('[data-testid=diag-ok]');
  await page.waitForSelector('[data-testid=plan-cost]'); // the plan comes after the check
  assert.match(await text('[data-testid=plan-cost]'), /^est\. \$0\.78$/);
});

step('a music video shows its declared sections and beat grid', async () => {
  await openScript('music_video.vscript');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sections] .section').length === 3);
  const parts = await page.$$eval('[data-testid=sections] .section', (els) => els.map((e) => e.textContent.trim()));
  assert.deepEqual(parts, ['verse', 'chorus', 'outro']);
  // 120 bpm over 32 s: 65 beat lines, every 4th a bar.
  assert.equal(await $$count('.grid .beat'), 65);
  assert.equal(await $$count('.grid .beat.bar'), 17);
  await openScript('ad.vscript');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length === 6);
});

step('an edit shows its diagnostic at the right line', async () => {
  const source = await page.$eval('[data-testid=source]', (ta) => ta.value);
  const line = source.split('\n').findIndex((l) => l.includes('then crossfade 0.5s')) + 1;
  assert.ok(line > 0);
  await retype(line, 'crossfade', 'crossfaed');
  await page.waitForSelector(`[data-testid=diag][data-line="${line}"]`, { timeout: 20000 });
  const msg = await text(`[data-testid=diag][data-line="${line}"]`);
  assert.match(msg, /crossfaed/);
  // The gutter marks the same line, and the Build button waits for a fix.
  assert.equal(await $$count(`.ln.error[data-line="${line}"]`), 1);
  assert.equal(await page.$eval('[data-testid=build]', (b) => b.disabled), true);
  await retype(line, 'crossfaed', 'crossfade');
  await page.waitForSelector('[data-testid=diag-ok]', { timeout: 20000 });
});

step('changing a model parameter changes the cost', async () => {
  await page.click('[data-testid=scene][data-scene="pour"]');
  await page.waitForSelector('[data-testid=model-panel] [data-model="seedance_lite"][aria-selected="true"]');
  const before = await text('[data-testid=model-cost]');
  assert.equal(before, '$0.25');
  // A setting from the schema is written into the scene's `with { … }`.
  await page.select('[data-param="camera_fixed"]', 'false');
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').value.includes('with { camera_fixed: false }'));
  // The model itself: the compiler's estimate follows, and the plan diff shows the delta.
  await page.click('[data-model="seedance_pro"]');
  await page.waitForFunction((b) => document.querySelector('[data-testid=model-cost]').textContent.trim() !== b, {}, before);
  // seedance_pro bills whole seconds of what it makes: 7 s for this 6 s scene and its transition.
  assert.equal(await text('[data-testid=model-cost]'), '$1.05');
  const cost = Number(await page.$eval('[data-scene="pour"]', (e) => e.dataset.cost));
  assert.ok(Math.abs(cost - 1.05) < 1e-9, `timeline cost ${cost}`);
  const src = await page.$eval('[data-testid=source]', (ta) => ta.value);
  assert.match(src, /\n    model seedance_pro\n/);
  assert.doesNotMatch(src, /camera_fixed: false/); // another model's settings do not carry over
  await page.waitForSelector('[data-testid=plan-delta]');
  assert.match(await text('[data-testid=plan-delta]'), /\+\$0\.80/);
  // Nothing was saved: the disk still has the original.
  assert.match(readFileSync(join(dir, 'ad.vscript'), 'utf8'), /model seedance_lite/);
});

step('a local build moves every row to completed and shows previews', async () => {
  await openScript('small.vscript'); // the unsaved edit above is discarded (dialog accepted)
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length === 3);
  await page.click('[data-testid=tab-build]');
  // No clip is decoded in the page while the build runs: previews are stills.
  // The transition's row names its two scenes from the plan on, through every state it shows.
  await page.evaluate(() => {
    window.__videosInPreviews = 0;
    window.__transitionSeen = [];
    new MutationObserver(() => {
      window.__videosInPreviews = Math.max(window.__videosInPreviews, document.querySelectorAll('[data-testid=previews] video').length);
      for (const r of document.querySelectorAll('[data-testid=row][data-op=segment]')) {
        const seen = `${r.dataset.status}: ${r.querySelector('[data-testid=row-place]')?.textContent}`;
        if (/transition/.test(seen) && !window.__transitionSeen.includes(seen)) window.__transitionSeen.push(seen);
      }
    }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-status'] });
  });
  await page.click('[data-testid=build]');
  await page.waitForFunction(() => window.__vscStudio.status === 'completed', { timeout: 120000 });
  assert.equal(await page.evaluate(() => window.__videosInPreviews), 0);
  await page.click('[data-testid=tab-build]'); // a finished build opens the review: come back
  await page.waitForFunction(
    () => {
      const rows = [...document.querySelectorAll('[data-testid=row]')];
      return rows.length > 0 && rows.every((r) => r.dataset.status === 'completed');
    },
    { timeout: 120000 },
  );
  const rows = await $$count('[data-testid=row]');
  assert.ok(rows >= 8, `rows: ${rows}`);
  // Each segment's row says where it is in the picture: a scene, or a transition's two scenes
  // as `vsc build` says them. The transition's row was labelled before it ran (queued) and
  // its events moved it to completed.
  const places = await page.$$eval('[data-testid=row][data-op=segment] [data-testid=row-place]', (els) => els.map((e) => e.textContent));
  assert.deepEqual(places, ['intro', 'transition intro -> still', 'still', 'card']);
  const seen = await page.evaluate(() => window.__transitionSeen);
  assert.equal(seen[0], 'queued: transition intro -> still', `seen: ${JSON.stringify(seen)}`);
  assert.equal(seen.at(-1), 'completed: transition intro -> still', `seen: ${JSON.stringify(seen)}`);
  assert.ok(seen.every((t) => t.endsWith(': transition intro -> still')), `seen: ${JSON.stringify(seen)}`);
  // A preview per scene: the server's 320x180 JPEG still of its composed segment.
  await page.waitForFunction(
    () => {
      const p = [...document.querySelectorAll('[data-testid=preview]')];
      return p.length === 3 && p.every((e) => e.tagName === 'IMG' && e.complete && e.naturalWidth === 320 && e.naturalHeight === 180);
    },
    { timeout: 30000 },
  );
  const previews = await page.$$eval('[data-testid=preview]', (els) => els.map((e) => [e.dataset.scene, e.dataset.op, e.getAttribute('src')]));
  assert.deepEqual(previews.map((p) => p.slice(0, 2)), [['intro', 'segment'], ['still', 'segment'], ['card', 'segment']]);
  for (const [, , src] of previews) assert.match(src, /^\/api\/poster\/[0-9a-f]{64}\?path=small\.vscript$/);
  assert.equal(await $$count('[data-testid=previews] video'), 0);
  // Hovering a scene plays its clip over the still; leaving it stops and drops the clip.
  await page.hover('[data-testid=preview][data-scene="intro"]');
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=preview-video][data-scene="intro"]');
    return v && !v.paused && v.currentTime > 0.1;
  });
  await page.mouse.move(5, 5);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=previews] video').length === 0);
  const st = await page.evaluate(() => window.__vscStudio.status);
  assert.equal(st, 'completed');
  // The ledger, under every tab: this local build is in it, free, as `vsc ledger` says.
  await page.waitForFunction(() => document.querySelector('[data-testid=ledger-bar-last]')?.textContent === 'last: local, ok, $0.00');
  assert.equal(await text('[data-testid=ledger-bar-total]'), '$0.00');
  assert.equal(await text('[data-testid=ledger-bar-builds]'), '1 build');
  assert.equal(await text('[data-testid=session-cost]'), 'session $0.00');
  await page.click('[data-testid=ledger-bar]');
  await page.waitForSelector('[data-testid=ledger-build][data-provider="local"][data-status="ok"]');
  assert.equal(await $$count('[data-testid=ledger-build]'), 1);
  assert.match(await text('[data-testid=ledger-build] .free'), /^no paid calls \(local provider: free\)$/);
});

step('the result plays, with scene markers and the manifest', async () => {
  await page.click('[data-testid=tab-review]');
  await page.waitForSelector('[data-testid=player]', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=markers] .mk').length === 3, { timeout: 30000 });
  await page.$eval('[data-testid=player]', (v) => {
    v.muted = true;
    return v.play();
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=player]').currentTime > 0.3, { timeout: 30000 });
  const rows = await $$count('[data-testid=manifest] tbody tr');
  assert.equal(rows, 3);
  // The contact sheet: a still from each scene, grabbed from the video itself.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-sheet] img').length === 3);
  const stills = await page.$$eval('[data-testid=contact-sheet] img', (els) => els.map((e) => e.alt));
  assert.deepEqual(stills, ['intro', 'still', 'card']);
  // A marker seeks to its scene.
  await page.click('[data-testid=markers] .mk:nth-of-type(3)');
  await page.waitForFunction(() => document.querySelector('[data-testid=player]').currentTime >= 2);
});

step('an edit made on disk shows up in the editor', async () => {
  await openScript('small.vscript');
  const edited = SMALL.replace('"the end"', '"the very end"');
  writeFileSync(join(dir, 'small.vscript'), edited);
  await page.waitForFunction((t) => document.querySelector('[data-testid=source]').value === t, { timeout: 20000 }, edited);
  await page.waitForFunction(() => [...document.querySelectorAll('.line.text')].some((e) => e.textContent === 'the very end'));
});

step('regenerate one scene with a new seed, then discard the take', async () => {
  await page.click('[data-testid=scene][data-scene="intro"]');
  await page.waitForSelector('[data-testid=regenerate]');
  let id = await page.evaluate(() => window.__vscStudio.id);
  await page.click('[data-testid=regenerate]');
  await page.waitForFunction((id) => window.__vscStudio.id > id && window.__vscStudio.status === 'completed', { timeout: 120000 }, id);
  const onDisk = readFileSync(join(dir, 'small.vscript'), 'utf8');
  assert.match(onDisk, /scene intro \(1s\) \{[^}]*\n    seed \d+\n/);
  // Only the regenerated scene's shot ran again: the other shot came from the cache.
  const gen = await page.evaluate(() => window.__vscStudio.rows.filter((r) => r.op === 'generate').map((r) => `${r.scene}:${r.status}`));
  assert.deepEqual(gen.sort(), ['intro:completed', 'still:cached']);
  await page.click('[data-testid=tab-model]');
  id = await page.evaluate(() => window.__vscStudio.id);
  await page.click('[data-testid=discard]');
  await page.waitForFunction((id) => window.__vscStudio.id > id && window.__vscStudio.status === 'completed', { timeout: 120000 }, id);
  assert.doesNotMatch(readFileSync(join(dir, 'small.vscript'), 'utf8'), /seed/);
  // The old take was still in the cache: going back cost nothing and ran no shot.
  const back = await page.evaluate(() => window.__vscStudio.rows.filter((r) => r.op === 'generate').map((r) => r.status));
  assert.deepEqual(back, ['cached', 'cached']);
});

step('the prompt box writes a script and opens it', async () => {
  await page.type('[data-testid=prompt]', 'A 10 second ad for a coffee shop, two scenes, warm, end card Open daily');
  await page.click('[data-testid=prompt-go]');
  await page.waitForFunction(() => location.hash === '#prompt.vscript', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length >= 2);
  await page.waitForSelector('[data-testid=diag-ok]');
  assert.match(readFileSync(join(dir, 'prompt.vscript'), 'utf8'), /coffee/);
});

step('a build asked for while one runs waits in the queue, then runs', async () => {
  await openScript('slow.vscript');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length === 4);
  await setPreview(false);
  const before = await page.evaluate(() => window.__vscStudio.id);
  await buildHeld('slow.vscript');
  await page.waitForFunction((id) => window.__vscStudio.id > id && window.__vscStudio.running, {}, before);
  const slowId = await page.evaluate(() => window.__vscStudio.id);
  assert.equal(await page.evaluate(() => window.__vscStudio.script), 'slow.vscript');
  await openScript('small.vscript');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length === 3);
  // The toast comes with the reply to the click, which may land after the queue's event shows
  // the row, and it goes after 4 s: every toast is noted as it appears.
  await page.evaluate(() => {
    window.__toasts = [];
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid=toast]')?.textContent.trim();
      if (t && window.__toasts.at(-1) !== t) window.__toasts.push(t);
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await page.click('[data-testid=queue-build]');
  await page.waitForSelector('[data-testid=queued][data-script="small.vscript"]');
  const queued = 'small.vscript queued: it builds when slow.vscript is done';
  await page.waitForFunction((t) => window.__toasts.includes(t), { timeout: 10000 }, queued).catch(() => {});
  const toasts = await page.evaluate(() => window.__toasts);
  assert.ok(toasts.includes(queued), `toasts: ${JSON.stringify(toasts)}`);
  // Taken out, then queued again.
  await page.click('[data-testid=unqueue]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=queue]'));
  await page.click('[data-testid=queue-build]');
  await page.waitForSelector('[data-testid=queued][data-script="small.vscript"]');
  assert.equal(await $$count('[data-testid=queued]'), 1);
  // slow.vscript finishes, and small.vscript builds next by itself.
  release();
  await page.waitForFunction(
    (id) => window.__vscStudio.id === id + 1 && window.__vscStudio.script === 'small.vscript' && window.__vscStudio.status === 'completed',
    { timeout: 120000 },
    slowId,
  );
  assert.equal(await $$count('[data-testid=queue]'), 0);
});

step('Stop interrupts a running build and drops the queue', async () => {
  await openScript('stoppable.vscript');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scene]').length === 12);
  await setPreview(false);
  const before = await page.evaluate(() => window.__vscStudio.id);
  await buildHeld('stoppable.vscript');
  await page.waitForFunction((id) => window.__vscStudio.id > id && window.__vscStudio.running, {}, before);
  await page.click('[data-testid=queue-build]'); // the same script again, after this one
  await page.waitForSelector('[data-testid=queued][data-script="stoppable.vscript"]');
  await page.click('[data-testid=stop]');
  // The studio's SIGINT waits in the stopped build until it is let go.
  await page.waitForFunction(() => /stop requested/.test(document.querySelector('[data-testid=build-log]')?.textContent ?? ''));
  release();
  await page.waitForFunction(() => window.__vscStudio.status === 'stopped', { timeout: 120000 });
  assert.equal(await text('[data-testid=build-status]'), 'stopped');
  assert.equal(await $$count('[data-testid=queue]'), 0);
  assert.match(await text('[data-testid=build-log]'), /stop requested \(Ctrl-C\); 1 queued build dropped/);
  assert.equal(await $$count('[data-testid=build]'), 1); // ready to build again
  assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
});
