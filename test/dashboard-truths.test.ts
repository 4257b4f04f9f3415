/**
 * What the dashboard must tell truthfully, checked in headless Chromium against real gateways
 * (simulated upstream): a spent quota is red with its reset, and rotor's own count wins over an
 * older `/key` reading; the timeline tells rotation, recovery, reset to primary and order change
 * apart, collapses back-and-forth, and says when nothing happened; a failing model's sparkline is
 * red; "mean attempts" leaves out requests refused before any upstream attempt; nothing is clipped
 * at 1280 px and the layout is one usable column at 800 px.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Failure } from '../src/engine/failure.js';
import type { Gateway } from '../src/server/gateway.js';
import { chat, launchChromium, rowOf, simulatedGateway, skipBrowserTests } from './dashboard-helpers.js';

const skipBrowser = skipBrowserTests();

const ACCOUNT = 'openrouter';
const briefRateLimit = (retryAfterMs: number): Failure => ({
  kind: 'rate_limit',
  scope: 'model',
  message: 'test',
  retryAfterMs,
});

/** Elements whose text is cut (ellipsis or hidden overflow), as "tag.class: text". Runs in the page. */
const CLIPPED = `[...document.querySelectorAll('body *')]
  .filter((el) => el.offsetParent !== null && el.textContent.trim() !== '' && !el.closest('.bar'))
  .filter((el) => {
    const cs = getComputedStyle(el);
    const cuts = cs.textOverflow === 'ellipsis' || cs.overflowX === 'hidden' || cs.overflowX === 'clip';
    return cuts && el.scrollWidth > el.clientWidth + 1;
  })
  .map((el) => el.tagName.toLowerCase() + '.' + el.className + ': ' + el.textContent.trim())`;

describe.skipIf(skipBrowser)('dashboard truths', () => {
  let browser: Browser;
  const gateways: Gateway[] = [];
  const pages: Page[] = [];
  const pageErrors: Error[] = [];

  async function open(gw: Gateway, width = 1280): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err));
    pages.push(page);
    await page.goto(gw.url);
    await page.waitForSelector('#conn[data-conn="live"]');
    return page;
  }
  async function gateway(extra: Parameters<typeof simulatedGateway>[0] = {}): Promise<Gateway> {
    const gw = await simulatedGateway(extra);
    gateways.push(gw);
    return gw;
  }

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(gateways.map((g) => g.close()));
    expect(pageErrors).toEqual([]);
  });

  it('says which account is simulated, and that no rotation happened yet', async () => {
    const page = await open(await gateway());
    await expect
      .poll(() => page.locator('#banner').textContent())
      .toContain('demo account with credits: 1,000 free requests a day, 20 a minute');
    expect(await page.locator('#tl').textContent()).toMatch(/No rotations yet/);
    expect(await page.locator('#tl').isVisible()).toBe(true);
  });

  it('a spent daily quota is red with its reset; rotor’s own count wins over an older /key reading', async () => {
    const gw = await gateway({ sim: { freeTier: true }, quota: { keyPollMs: 0 } });
    gw.rotor.engine.setAccountQuota(ACCOUNT, { limit: 50, remaining: 4, used: 46 });
    const page = await open(gw);
    const badge = page.locator(`[data-account="${ACCOUNT}"] .acct-h .b`);
    await expect.poll(() => badge.getAttribute('data-quota')).toBe('ok');
    expect(await page.locator('[data-remote]').getAttribute('data-remote')).toBe('fresh');
    expect(await page.locator('[data-remote]').textContent()).toContain('46 used, 4 left of 50');

    for (let i = 0; i < 4; i++) expect(await chat(gw)).toBe(200);
    // The 51st of the day is refused by rotor itself: no upstream attempt.
    expect(await chat(gw)).toBe(429);

    await expect.poll(() => badge.getAttribute('data-quota')).toBe('bad');
    expect(await badge.textContent()).toMatch(/^spent — resets in \d+h \d\dm$/);
    expect(await page.locator('[data-remote]').getAttribute('data-remote')).toBe('stale');
    expect(await page.locator('[data-remote]').textContent()).toContain('said 46 used; rotor has counted 50');
    expect(await page.locator(`[data-account="${ACCOUNT}"]`).textContent()).toContain('50 / 50');
    // 4 requests reached a model with one attempt each; the refused one is left out of the mean.
    expect(await page.locator('#t-att .v').textContent()).toBe('1.00');
    expect(await page.locator('#t-att small').textContent()).toContain('1 refused locally, not counted');
  });

  it('the timeline tells rotation, reset to primary, recovery and order change apart, and collapses back-and-forth', async () => {
    const gw = await gateway();
    const engine = gw.rotor.engine;
    const [A, B, C] = engine.rotationOrder as [string, string, string];
    const page = await open(gw);
    /** `model` (the current one) is rate-limited for 150 ms: the current model moves to `next` and back. */
    const incident = async (model: string, next: string) => {
      engine.recordFailure(model, briefRateLimit(150));
      await expect.poll(() => engine.currentModel()).toBe(next);
      await expect.poll(() => engine.currentModel(), { interval: 50 }).toBe(model);
    };

    // One incident on the primary: rotated down, then reset to primary — two entries.
    await incident(A, B);
    await expect.poll(() => page.locator('#tl li[data-kind="reset"]').count()).toBe(1);
    expect(await page.locator('#tl li[data-kind="rotation"]').count()).toBe(1);
    expect(await page.locator('#tl li[data-kind="reset"] .et').textContent()).toBe('Reset to primary');
    expect(await page.locator('#tl li[data-kind="rotation"] .et').textContent()).toBe('Rotated');

    // Three more within a minute: one "A ↔ B ×8" entry instead of eight.
    for (let i = 0; i < 3; i++) await incident(A, B);
    const repeated = page.locator('#tl li[data-kind="repeated"]');
    await expect.poll(() => repeated.count()).toBe(1);
    const short = (id: string) => id.slice(id.lastIndexOf('/') + 1);
    expect(await repeated.textContent()).toContain(`${short(A)} ↔ ${short(B)} ×8 in`);
    expect(await page.locator('#tl li[data-kind="reset"], #tl li[data-kind="rotation"]').count()).toBe(0);

    // A new order is an order change, never a recovery; a better non-primary model back is a recovery.
    engine.setRotationOrder([C, B, A, ...engine.rotationOrder.slice(3)], 'test reorder');
    await expect.poll(() => page.locator('#tl li[data-kind="order"]').count()).toBe(1);
    expect(await page.locator('#tl li[data-kind="order"] .et').textContent()).toBe('Order changed');
    engine.recordFailure(C, briefRateLimit(60_000)); // the primary is out for the rest of the test
    await expect.poll(() => engine.currentModel()).toBe(B);
    await incident(B, A);
    const recovery = page.locator('#tl li[data-kind="recovery"]');
    await expect.poll(() => recovery.count()).toBe(1);
    expect(await recovery.locator('.et').textContent()).toBe('Recovered');
    expect(await recovery.textContent()).toContain(`${short(A)} → ${short(B)}`);
  }, 60_000);

  it('a model at 0 % success draws a red sparkline, a healthy one green', async () => {
    const gw = await gateway();
    const [A, B] = gw.rotor.engine.rotationOrder as [string, string];
    gw.simulator!.addFault({ model: A, kind: 'server_error', status: 503 });
    const page = await open(gw);
    expect(await chat(gw)).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // a second sample, a second later
    expect(await chat(gw)).toBe(200);
    const stroke = (model: string) => page.locator(`${rowOf(model)} path.srl`).getAttribute('stroke');
    await expect.poll(() => stroke(A), { timeout: 5000 }).toBe('var(--bad)');
    await expect.poll(() => stroke(B), { timeout: 5000 }).toBe('var(--ok)');
    expect(await page.locator(`${rowOf(A)} .sr`).textContent()).toBe('0%');

    // The same page, with traffic, failures and a recovering model: nothing clipped at 1280 px …
    expect(await page.evaluate(CLIPPED)).toEqual([]);
    // … and at 800 px one column, the whole table on screen, no sideways scrolling.
    await page.setViewportSize({ width: 800, height: 900 });
    await expect
      .poll(() => page.evaluate(`getComputedStyle(document.querySelector('.grid')).gridTemplateColumns`))
      .not.toContain(' ');
    const layout = (await page.evaluate(`({
      pageWidth: document.documentElement.scrollWidth,
      tableOverflow: document.querySelector('.tw').scrollWidth - document.querySelector('.tw').clientWidth,
      requestsRight: [...document.querySelectorAll('th')].find((th) => th.textContent === 'Requests').getBoundingClientRect().right,
    })`)) as { pageWidth: number; tableOverflow: number; requestsRight: number };
    expect(layout.pageWidth).toBeLessThanOrEqual(800);
    expect(layout.tableOverflow).toBeLessThanOrEqual(0);
    expect(layout.requestsRight).toBeLessThanOrEqual(800);
    expect(await page.evaluate(CLIPPED)).toEqual([]);
  });
});
