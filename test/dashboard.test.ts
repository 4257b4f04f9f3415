/**
 * The dashboard at `/`, driven in headless Chromium against the real gateway (simulated upstream,
 * zero latency): every rotation model gets a row, the simulated banner shows, and a failure of the
 * primary turns up live — row state and timeline — without a reload. With ROTOR_SCREENSHOT set it
 * also writes `docs/dashboard.png` (1280 px) and `docs/dashboard-800.png` from a run with realistic
 * traffic. What the page must tell truthfully (quota, timeline, colours, layout): dashboard-truths.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/package-root.js';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import {
  chat,
  gatewayConfig,
  launchChromium,
  rowOf,
  skipBrowserTests,
  VIEWPORT,
} from './dashboard-helpers.js';

const skipBrowser = skipBrowserTests();

/** The page's `document`, as far as the functions run in the browser below use it (no lib.dom here). */
declare const document: {
  querySelector(
    selector: string,
  ): { textContent: string | null; getAttribute(name: string): string | null } | null;
};
/** Page globals set or read by the tests. */
type PageGlobals = { notReloaded?: boolean; pwned?: number; EventSource?: unknown };

describe.skipIf(skipBrowser)('dashboard', () => {
  let browser: Browser;
  let gw: Gateway;
  let page: Page;
  const pageErrors: Error[] = [];
  const extraGateways: Gateway[] = [];

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startGateway(gatewayConfig()), launchChromium()]);
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on('pageerror', (err) => pageErrors.push(err));
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gw?.close(), ...extraGateways.map((g) => g.close())]);
  });

  it('shows a row for every rotation model and the simulated banner', async () => {
    await page.goto(gw.url);
    const order = gw.rotor.engine.rotationOrder;
    expect(order.length).toBeGreaterThan(1);
    await page.waitForFunction(
      (ids) => ids.every((id) => document.querySelector(`tr[data-model=${JSON.stringify(id)}] [data-state]`)),
      [...order],
    );
    for (const id of order) expect(await page.locator(rowOf(id)).count()).toBe(1);
    await expect
      .poll(() =>
        page.locator('#rows tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model'))),
      )
      .toEqual([...order]);
    expect(await page.getByText('Simulated upstream — no OPENROUTER_API_KEY').isVisible()).toBe(true);
    expect(await page.locator(`${rowOf(order[0]!)} [data-state]`).getAttribute('data-state')).toBe(
      'available',
    );
    await page.waitForSelector('#conn[data-conn="live"]');
    expect(await page.locator('#cur').textContent()).toContain(order[0]);
  });

  it('follows a failure of the primary live: cooling row and a rotation in the timeline', async () => {
    const [primary, second] = gw.rotor.engine.rotationOrder;
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).notReloaded = true;
    });
    expect(await page.locator('#tl [data-event-type="rotation"]').count()).toBe(0);

    gw.rotor.engine.recordFailure(primary!, {
      kind: 'rate_limit',
      scope: 'model',
      message: 'test',
      retryAfterMs: 60_000,
    });

    await page.waitForSelector(`${rowOf(primary!)} [data-state="cooling"]`);
    const rotation = page.locator('#tl [data-event-type="rotation"]').first();
    await rotation.waitFor();
    expect(
      await rotation
        .locator(`[title=${JSON.stringify(primary)}] + * + [title=${JSON.stringify(second)}]`)
        .count(),
    ).toBe(1);
    expect(await page.locator(`${rowOf(primary!)} [data-state]`).textContent()).toMatch(
      /cooling.*until \d\d:\d\d:\d\d \(rate limited\)/,
    );
    await expect.poll(() => page.locator('#cur').textContent()).toContain(second);
    await expect.poll(() => page.locator(`${rowOf(second!)}.cur`).count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).toBe(true);
  });

  it('escapes text from upstream', async () => {
    const model = gw.rotor.engine.rotationOrder.at(-1)!;
    gw.rotor.engine.retire(model, '<img src=x onerror="window.pwned=1"> & gone');
    const state = page.locator(`${rowOf(model)} [data-state="retired"]`);
    await state.waitFor();
    expect(await state.textContent()).toContain('<img src=x onerror="window.pwned=1"> & gone');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('#tl [data-event-type="model_retired"]').first().textContent()).toContain(
      '<img',
    );
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).pwned)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it('polls /v1/rotor/status when EventSource is unavailable, and sends #key=… when keys are required', async () => {
    const locked = await startGateway(gatewayConfig({ server: { apiKeys: ['sekret-key'] } }));
    extraGateways.push(locked);
    const first = locked.rotor.engine.rotationOrder[0]!;
    const context = await browser.newContext({ viewport: VIEWPORT });
    try {
      const withKey = await context.newPage();
      await withKey.goto(`${locked.url}/#key=sekret-key`);
      await withKey.waitForSelector(`${rowOf(first)} [data-state="available"]`);
      await withKey.waitForSelector('#conn[data-conn="live"]');

      const withoutKey = await context.newPage();
      await withoutKey.goto(locked.url);
      await withoutKey.waitForSelector('#conn[data-conn="unauthorized"]');
      expect(await withoutKey.locator('#rows tr').count()).toBe(0);

      const noEventSource = await context.newPage();
      await noEventSource.addInitScript(() => {
        delete (globalThis as unknown as PageGlobals).EventSource;
      });
      await noEventSource.goto(`${locked.url}/#key=sekret-key`);
      await noEventSource.waitForSelector('#conn[data-conn="polling"]');
      await noEventSource.waitForSelector(`${rowOf(first)} [data-state="available"]`);
    } finally {
      await context.close();
    }
  });

  it.runIf(Boolean(process.env.ROTOR_SCREENSHOT))(
    'writes docs/dashboard.png from a run with realistic traffic',
    async () => {
      const shot = await startGateway(
        gatewayConfig({ server: { statusPushMs: 250 }, sim: { latencyScale: 0.3 } }),
      );
      extraGateways.push(shot);
      const order = shot.rotor.engine.rotationOrder;
      const sim = shot.simulator!;
      sim.addFault({ model: order[0]!, kind: 'server_error', status: 503, maxHits: 3 });
      sim.addFault({ model: order[1]!, kind: 'upstream_rate_limit', retryAfterSeconds: 45, maxHits: 1 });
      const p = await browser.newPage({ viewport: VIEWPORT });
      await p.goto(shot.url);
      await p.waitForSelector('#conn[data-conn="live"]');

      // 15 requests (with the failed attempts, under the simulated account's 20 per minute), in
      // waves a second apart so that the sparklines (one point per second) get some history.
      const waves: string[][] = [
        ['auto'],
        ['auto', order[3]!],
        ['auto', order[4]!],
        ['auto', order[5]!],
        ['auto', order[7]!],
        ['auto', order[3]!],
        ['auto', order[4]!],
        ['auto', 'auto'],
      ];
      const points = (model: string) =>
        p.evaluate(
          (selector) => (document.querySelector(selector)?.getAttribute('d') ?? '').split(/[ML]/).length - 1,
          `${rowOf(model)} path.srl`,
        );
      for (const [i, wave] of waves.entries()) {
        await Promise.all(wave.map((model) => chat(shot, model)));
        await expect.poll(() => points(order[0]!), { timeout: 5000 }).toBeGreaterThanOrEqual(i + 2);
      }
      // States that plain traffic reaches only slowly: an open breaker and a retired model.
      for (let i = 0; i < 5; i++) {
        shot.rotor.engine.recordFailure(order[6]!, {
          kind: 'server_error',
          message: '502 Provider returned error',
        });
      }
      shot.rotor.engine.retire(order[9]!, `No endpoints found for ${order[9]}.`);
      await p.waitForSelector(`${rowOf(order[6]!)} [data-state="open"]`);
      await p.waitForSelector(`${rowOf(order[9]!)} [data-state="retired"]`);
      await p.waitForSelector(`${rowOf(order[1]!)} [data-state="cooling"]`);
      await p.waitForSelector(`${rowOf(order[6]!)} svg`); // its sparkline has two points

      mkdirSync(join(packageRoot(), 'docs'), { recursive: true });
      await p.screenshot({ path: join(packageRoot(), 'docs', 'dashboard.png'), animations: 'disabled' });
      // The narrow layout: one column, every table column still there (or dropped on purpose).
      await p.setViewportSize({ width: 800, height: 900 });
      await p.waitForTimeout(300);
      await p.screenshot({
        path: join(packageRoot(), 'docs', 'dashboard-800.png'),
        animations: 'disabled',
        fullPage: true,
      });
      await p.close();
    },
  );
});
