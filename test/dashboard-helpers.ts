/** Shared by the dashboard's browser tests: headless Chromium, a simulated gateway, page helpers. */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { skipWithoutService } from './required-service.js';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const VIEWPORT = { width: 1280, height: 900 };

/** Whether this file's browser tests skip: CI installs Chromium (.ci/run) and must never skip. */
export function skipBrowserTests(): boolean {
  return skipWithoutService(
    'dashboard (Chromium)',
    existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install -y chromium)`,
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export function gatewayConfig(extra: { server?: object; sim?: object; quota?: object } = {}) {
  return loadGatewayConfig({
    env: {},
    overrides: {
      server: { port: 0, statusPushMs: 100, ...extra.server },
      sim: { latencyScale: 0, ...extra.sim },
      ...(extra.quota ? { quota: extra.quota } : {}),
      log: { level: 'silent' },
    } as never,
  });
}

export function simulatedGateway(extra: Parameters<typeof gatewayConfig>[0] = {}): Promise<Gateway> {
  return startGateway(gatewayConfig(extra));
}

/** A CSS selector for the row of `model` (ids hold `/`, `:` and `.`, so quote them). */
export const rowOf = (model: string) => `tr[data-model=${JSON.stringify(model)}]`;

/** One chat request through the gateway; resolves to its status. */
export async function chat(gw: Gateway, model = 'auto'): Promise<number> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello to the dashboard.' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
