import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { renderReport } from '../src/report/html.js';
import type { CurvePoint, ReportRun } from '../src/report/model.js';
import { findChromium } from './tool-helpers.js';

/** A deterministic synthetic run: latencies that grow with the percentile, a timeline, some errors. */
function run(label: string, scale: number, errors: Record<string, number>): ReportRun {
  const curve = (base: number): CurvePoint[] =>
    [0, 10, 25, 50, 75, 90, 95, 99, 99.9].map((p) => [p, base * scale * (1 + p / 20)] as const);
  return {
    label,
    source: 'mmload',
    headline: {
      rps: 1 / scale,
      itlAvgMs: 20 * scale,
      ttftAvgMs: 1000 * scale,
      ttftP50Ms: 900 * scale,
      requests: 240,
    },
    curves: { time_to_first_token: curve(900), inter_token_latency: curve(20), request_latency: curve(5000) },
    ttftOverRun: Array.from({ length: 50 }, (_, i) => [i * 0.5, 800 * scale + (i % 7) * 40] as const),
    timeline: Array.from({ length: 20 }, (_, t) => ({
      t,
      completed: 3 + (t % 3),
      outputTokens: 3000,
      errors: 0,
    })),
    errors,
  };
}

test('the report renders in a real browser: charts drawn, no console errors, no network', async () => {
  const html = renderReport([run('vllm-serve', 1, {}), run('dynamo-fd-ec', 0.6, { http: 2, timeout: 1 })], {
    baseline: 'vllm-serve',
  });
  const dir = join(import.meta.dirname, '..', 'artifacts', 'test');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'report.html');
  await writeFile(file, html);
  const found = await findChromium();
  const browser = await chromium.launch({
    executablePath: found.executablePath,
    ...(found.env ? { env: found.env } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((s) => ({
        label: s.getAttribute('aria-label'),
        marks: s.querySelectorAll('path.series, g.series circle, rect.bar').length,
        width: s.getBoundingClientRect().width,
      })),
    );
    // 6 comparison bars + 3 percentile curves + TTFT scatter + 2 throughput timelines
    assert.equal(charts.length, 12, JSON.stringify(charts));
    for (const c of charts) {
      assert.ok(c.marks > 0, `${c.label} draws something`);
      assert.ok(c.width > 100, `${c.label} has a size`);
    }
    const deltas = await page.$$eval('table.summary td', (tds) => tds.map((t) => t.textContent ?? ''));
    assert.ok(
      deltas.some((d) => d.includes('+66.7%')),
      'RPS delta of 1/0.6 vs 1 shown',
    );
    assert.ok(
      deltas.some((d) => d.includes('-40.0%')),
      'TTFT avg delta shown',
    );
    assert.equal(await page.locator('table.errors td').filter({ hasText: /^2$/ }).count(), 1);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file://')),
      [],
    );
  } finally {
    await browser.close();
  }
});
