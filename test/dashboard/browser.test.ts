import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveDashboard } from '../../dashboard/server.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { curves, FIXTURE_OWNER, startRun, writeFixtureDb } from '../helpers/fixture-db.ts';
import { componentPath, needs } from '../helpers/system.ts';

const chrome = needs('chromium');

/** End to end in headless Chromium (Debian's; `npm run setup:system` installs it): pages, charts, filter, compare, live updates. */
const SHOTS = path.resolve('test/screenshots');
const dbPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dash-e2e-')), 'results.db');
writeFixtureDb(dbPath);
let dash: Awaited<ReturnType<typeof serveDashboard>>;
let browser: Browser;

if (chrome.ready) test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  dash = await serveDashboard({ db: dbPath, port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: componentPath('chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

test.after.always(async () => {
  await browser?.close();
  await dash?.close();
});

/** How many charts have drawn something: canvases with non-blank pixels. */
async function drawnCharts(page: Page): Promise<number> {
  await page.waitForSelector('#charts[data-drawn="true"]', { timeout: 15_000 });
  return page.$$eval('#charts canvas', (canvases) => canvases.filter((c) => {
    const ctx = (c as HTMLCanvasElement).getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
    let ink = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
    return ink > 200;
  }).length);
}

chrome.serial('each page renders; run and compare pages draw their curves', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(dash.url);
  t.is(await page.locator('#experiments tbody tr').count(), 2);
  await page.screenshot({ path: path.join(SHOTS, 'experiments.png'), fullPage: true });

  await page.click('a[href="/experiments/stopgrad"]');
  t.is(await page.locator('#runs tbody tr').count(), 9);
  await page.screenshot({ path: path.join(SHOTS, 'experiment.png'), fullPage: true });

  // The filter: only the failed cell.
  await page.selectOption('select[name="status"]', 'failed');
  await page.click('#filters button[type="submit"]');
  await page.waitForURL(/status=failed/);
  t.is(await page.locator('#runs tbody tr').count(), 1);
  t.regex(await page.locator('#runs tbody').innerText(), /failed/);

  // Compare two runs selected on the experiment page.
  await page.goto(`${dash.url}experiments/stopgrad`);
  t.true(await page.locator('#compare').isDisabled());
  await page.check('input.pick[value="1"]');
  await page.check('input.pick[value="5"]');
  await page.click('#compare');
  await page.waitForURL(/\/compare\?ids=1,5/);
  t.is(await drawnCharts(page), 3, 'loss, z_std and kNN overlays');
  t.regex(await page.locator('#legend').innerText(), /stopGradient=false/);
  await page.screenshot({ path: path.join(SHOTS, 'compare.png'), fullPage: true });

  await page.goto(`${dash.url}runs/5`);
  t.is(await drawnCharts(page), 3);
  await page.screenshot({ path: path.join(SHOTS, 'run.png'), fullPage: true });

  await page.goto(`${dash.url}tables`);
  t.regex(await page.locator('table.paper-table').first().innerText(), /collapsed/);
  await page.screenshot({ path: path.join(SHOTS, 'tables.png'), fullPage: true });
  t.deepEqual(errors, []);
  await page.close();
});

chrome.serial('a full reproduction\'s experiment list keeps its verdict badges inside the page width', async (t) => {
  // The committed medium report's database: eight experiments, eleven findings with their counts.
  const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dash-full-')), 'medium.db');
  fs.copyFileSync(path.resolve('docs/results/medium-native.db'), copy);
  const full = await serveDashboard({ db: copy, port: 0, host: '127.0.0.1' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(full.url);
    t.true(await page.locator('.badge').count() >= 11);
    t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scroll at 1280 px');
    await page.screenshot({ path: path.join(SHOTS, 'experiments-full.png'), fullPage: true });
    await page.goto(`${full.url}tables`);
    t.true(await page.locator('.forest svg circle').count() >= 11, 'each judged finding\'s forest plot is drawn');
  } finally {
    await page.close();
    await full.close();
  }
});

chrome.serial('a cell finished while the page is open appears without a reload or a server restart', async (t) => {
  const page = await browser.newPage();
  await page.goto(`${dash.url}experiments/stopgrad`);
  t.is(await page.locator('#runs tbody tr').count(), 9);
  const writer = new SqliteStore(dbPath);
  const env = { packageVersion: '0.1.0', gitCommit: null, host: 'h', pid: 1 };
  const r = writer.enqueue({ experiment: 'stopgrad', cellHash: 'live', rowLabel: 'w/ stop-grad', axes: { batchSize: 512 }, seed: 0, preset: 'small', config: { projector: { dim: 256 } } }, env);
  startRun(writer, r.id);
  writer.logMetrics(r.id, FIXTURE_OWNER, curves(3, (e) => [-0.5, 0.06, 0.5 + e / 10]));
  writer.finish(r.id, FIXTURE_OWNER, 'finished');
  writer.close();
  await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 10, undefined, { timeout: 15_000 });
  t.pass();
  await page.close();
});
