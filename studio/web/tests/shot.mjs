// Takes a screenshot of a running studio (for looking at the page while developing):
//   node tests/shot.mjs URL OUT.png [WIDTHxHEIGHT] [script to open]
import puppeteer from 'puppeteer-core';

const [url, out, size = '1440x900', open] = process.argv.slice(2);
const [w, h] = size.split('x').map(Number);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: w, height: h });
  await page.goto(url + (open ? `#${open}` : ''), { waitUntil: 'load' });
  await new Promise((r) => setTimeout(r, 1500));
  await page.screenshot({ path: out });
} finally {
  await browser.close();
}
