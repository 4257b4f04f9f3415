/**
 * The dashboard of a gateway that pools providers, in headless Chromium against the provider
 * simulator over sockets: the models table is grouped by provider, each group under a header row
 * with its limits in words; the quota card has a section per provider with the same words, its
 * account-wide windows, its fullest per-model windows and its model-list check; a pair whose day is
 * spent says so on its provider's section. OpenRouter keeps its account section, in its place.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { type Simulator, simulatedProviderEnv, startSimulator } from '../src/sim/index.js';
import { chat, launchChromium, skipBrowserTests } from './dashboard-helpers.js';

const skipBrowser = skipBrowserTests();

const GROQ_RULE =
  '30 requests/min, 1,000–14,400 requests/day, 6,000–12,000 tokens/min, 100,000–500,000 tokens/day per model, refills continuously';
const GEMINI_RULE =
  '5–15 requests/min, 250,000 tokens/min per model, rolling window; 20–500 requests/day per model, resets at midnight America/Los_Angeles';
const CLOUDFLARE_RULE =
  '10,000 neurons/day per account, resets at midnight UTC; 300 requests/min per model, rolling window';

describe.skipIf(skipBrowser)('dashboard grouped by provider', () => {
  let browser: Browser;
  let sim: Simulator;
  let gateway: Gateway;
  let page: Page;
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    // Gemini's 2.5 Flash gets one request a day here, so its day is spent by the second.
    sim = await startSimulator({
      latencyScale: 0,
      providers: ['groq', 'gemini', 'cloudflare'],
      scenario: { providers: { gemini: { limits: { requests_day: 1 } } } } as never,
    });
    const config = loadGatewayConfig({
      env: {},
      overrides: {
        server: { port: 0, statusPushMs: 100 },
        upstream: { baseUrl: sim.url, apiKey: 'sk-or-sim' },
        quota: { keyPollMs: 0 },
        log: { level: 'silent' },
      } as never,
    });
    [gateway, browser] = await Promise.all([
      startGateway(config, { env: simulatedProviderEnv(sim.providers()) }),
      launchChromium(),
    ]);
    await gateway.providerReconciler?.first;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err));
    await page.goto(gateway.url);
    await page.waitForSelector('#conn[data-conn="live"]');
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await sim?.close();
    expect(pageErrors).toEqual([]);
  });

  it('groups the models table by provider, each under its limits in words, in rotation order', async () => {
    await page.waitForSelector('tr.grp[data-provider="openrouter"]');
    // The table body from top to bottom: a provider's header row, then its models.
    const body = await page.$$eval('#rows > tr', (trs) =>
      trs.map((tr) => (tr.classList.contains('grp') ? `## ${tr.dataset.provider}` : tr.dataset.model)),
    );
    expect(body.slice(0, 13)).toEqual([
      '## groq',
      'groq:openai/gpt-oss-120b',
      'groq:llama-3.3-70b-versatile',
      'groq:openai/gpt-oss-20b',
      'groq:llama-3.1-8b-instant',
      '## gemini',
      'gemini:gemini-2.5-flash',
      'gemini:gemini-3.1-flash-lite',
      'gemini:gemini-2.5-flash-lite',
      '## cloudflare',
      'cloudflare:@cf/openai/gpt-oss-120b',
      'cloudflare:@cf/meta/llama-3.1-8b-instruct',
      '## openrouter',
    ]);
    expect(body.slice(13).every((id) => id !== undefined && !id.startsWith('#') && !id.includes(':@'))).toBe(
      true,
    );
    expect(await page.locator('tr.grp[data-provider="groq"] .rule').textContent()).toBe(GROQ_RULE);
    expect(await page.locator('tr.grp[data-provider="gemini"] .rule').textContent()).toBe(GEMINI_RULE);
    expect(await page.locator('tr.grp[data-provider="groq"] small').textContent()).toBe('4 of 4 available');
    // A pair without a vendor shows its model's name, its provider below.
    const versatile = page.locator('tr[data-model="groq:llama-3.3-70b-versatile"]');
    expect(await versatile.locator('.mid').textContent()).toBe('llama-3.3-70b-versatile');
    expect(await versatile.locator('.sub').textContent()).toBe('groq');
    expect(await page.locator('tr.grp[data-provider="openrouter"] .rule').textContent()).toMatch(
      /^20 requests\/min, ([\d,]+|50 \(1,000 with credits\)) requests\/day per account, resets each minute and at midnight UTC$/,
    );
  });

  it('has a quota section per provider with its words, windows and model-list check; OpenRouter keeps its own', async () => {
    expect(await page.locator('#qh').textContent()).toBe('Quota by provider');
    const sections = await page.$$eval('#accts > .acct', (els) =>
      els.map((el) => el.getAttribute('data-provider')),
    );
    expect(sections).toEqual(['groq', 'gemini', 'cloudflare', 'openrouter']);
    expect(await page.locator('.acct[data-provider="groq"] .rule').textContent()).toBe(GROQ_RULE);
    expect(await page.locator('.acct[data-provider="cloudflare"] .rule').textContent()).toBe(CLOUDFLARE_RULE);
    // Cloudflare's neurons are counted for the whole account: a bar of its own.
    expect(await page.locator('.acct[data-provider="cloudflare"] .q').first().textContent()).toMatch(
      /^Neurons\/day0 \/ 10000resets (in|at) /,
    );
    expect(await page.locator('.acct[data-provider="groq"] .chk').textContent()).toMatch(
      /^model list: 4 listed, checked \d\d:\d\d:\d\d$/,
    );
    expect(await page.locator('.acct[data-provider="openrouter"]').getAttribute('data-account')).toBe(
      'openrouter',
    );
    expect(await page.locator('.acct[data-provider="groq"] [data-quota]').textContent()).toBe('ok');
  });

  it("a pair whose day is spent shows on its provider's section, and its window names the model", async () => {
    expect(await chat(gateway, 'gemini:gemini-2.5-flash')).toBe(200);
    await chat(gateway, 'gemini:gemini-2.5-flash'); // Gemini's 429 for the day; another pair answers
    const badge = page.locator('.acct[data-provider="gemini"] [data-quota]');
    await expect.poll(() => badge.textContent()).toBe('1 model spent');
    expect(await badge.getAttribute('data-quota')).toBe('warn');
    expect(await page.locator('.acct[data-provider="gemini"]').textContent()).toContain(
      'Requests/day · fullest: gemini-2.5-flash',
    );
    expect(await page.locator('.acct[data-provider="groq"] [data-quota]').textContent()).toBe('ok');
  });
});
