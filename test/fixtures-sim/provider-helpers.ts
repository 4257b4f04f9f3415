/**
 * Helpers for the provider simulator's tests: a world without sockets, the real provider fixtures,
 * and classifying either with rotor's own `classifyProviderError`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../src/engine/clock.js';
import { seededRandom } from '../../src/engine/random.js';
import { classifyProviderError, type ProviderFailure } from '../../src/providers/classify-provider-error.js';
import { AttemptLog } from '../../src/sim/attempt-log.js';
import { FaultSchedule } from '../../src/sim/fault-schedule.js';
import type { SimResponse } from '../../src/sim/providers/provider-dialect.js';
import { type SimProviderInput, simProvidersSchema } from '../../src/sim/providers/provider-scenario.js';
import { ProviderWorld, shippedProviderCatalog } from '../../src/sim/providers/provider-world.js';
import { type FaultInput, parseFaults } from '../../src/sim/scenario-schema.js';
import { providerFixturesDir } from '../repo-fixtures.js';

export interface ProviderFixture {
  status: number | null;
  headers: Record<string, string>;
  body: unknown;
}

export function loadProviderFixture(file: string): ProviderFixture {
  return JSON.parse(readFileSync(join(providerFixturesDir(), file), 'utf8')) as ProviderFixture;
}

/** The fixture as a transport would meet it (a message-only body is the raw text). */
export function classifyFixture(providerId: string, file: string, nowMs: number): ProviderFailure {
  const fx = loadProviderFixture(file);
  const catalog = shippedProviderCatalog();
  const provider = catalog.providers.find((p) => p.id === providerId)!;
  const bodyText = typeof fx.body === 'string' ? fx.body : JSON.stringify(fx.body);
  return classifyProviderError(catalog, provider, fx.status ?? undefined, fx.headers, bodyText, nowMs);
}

/** A simulated answer, classified as the gateway would classify it. */
export function classifyResponse(providerId: string, response: SimResponse, nowMs: number): ProviderFailure {
  const catalog = shippedProviderCatalog();
  const provider = catalog.providers.find((p) => p.id === providerId)!;
  return classifyProviderError(
    catalog,
    provider,
    response.status,
    response.headers,
    JSON.stringify(response.body),
    nowMs,
  );
}

/** A provider world on its own (no sockets), as the simulator builds it. */
export function providerWorld(
  clock: Clock,
  providers: Record<string, SimProviderInput>,
  faults: FaultInput[] = [],
  completionTokens = 8,
): ProviderWorld {
  const schedule = new FaultSchedule(seededRandom(1));
  schedule.set(parseFaults(faults));
  const startMs = clock.now();
  return new ProviderWorld({
    clock,
    seed: 1,
    completionTokens,
    providers: simProvidersSchema.parse(providers),
    faults: schedule,
    log: new AttemptLog(),
    apiKeys: new Set(['sim-key']),
    startMs: () => startMs,
  });
}

/** The fields two classifications must share to mean the same thing. */
export function meaningOf(f: ProviderFailure) {
  return {
    kind: f.kind,
    providerKind: f.providerKind,
    ...(f.window === undefined ? {} : { window: f.window }),
    ...(f.per === undefined ? {} : { per: f.per }),
    ...('scope' in f ? { scope: f.scope } : {}),
    ...(f.params === undefined ? {} : { params: f.params }),
  };
}
