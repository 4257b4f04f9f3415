/**
 * The simulated providers as an in-process `ChatTransport` in virtual time: the same world the
 * socket simulator serves (limits with their reset rules, bodies, headers, faults), without
 * sockets, so a benchmark can replay an agent's 8-hour day over several providers in seconds
 * under a `ManualClock`.
 *
 * A request goes to the provider whose simulated base path its `upstream.baseUrl` ends with
 * (`virtualProviderBaseUrl('groq')`, or a socket simulator's URL: the origin is ignored); any other
 * base URL goes to `fallback` (e.g. the OpenRouter `VirtualTransport`). The body is shaped as
 * `UpstreamClient` shapes it (`stream: true`, `stream_options.include_usage`), unless
 * `prepareBody` says otherwise. Refusals are the provider's real bodies classified by rotor's
 * `classifyProviderError`, so every `UpstreamFailure` is what the real client path would raise;
 * `onResponse` sees every answer's status and headers, for learning quota from them.
 */
import type { ChatCompletionChunk } from '../../chat/chat-types.js';
import type { Clock } from '../../engine/clock.js';
import { seededRandom } from '../../engine/random.js';
import { classifyProviderError, type ProviderFailure } from '../../providers/classify-provider-error.js';
import type { ProviderCatalog } from '../../providers/provider-catalog-schema.js';
import { type ChatTransport, type TransportRequest, UpstreamFailure } from '../../upstream/chat-transport.js';
import { AttemptLog, type AttemptRecord } from '../attempt-log.js';
import { errorLatencyMs } from '../error-latency.js';
import { FaultSchedule } from '../fault-schedule.js';
import { type FaultInput, parseFaults, ScenarioError } from '../scenario-schema.js';
import { providerStreamChunks } from './provider-completion.js';
import type { QuotaView } from './provider-quota.js';
import {
  type ProviderUpdate,
  providerUpdateSchema,
  type SimProviderInput,
  type SimProviderScenario,
  simProvidersSchema,
} from './provider-scenario.js';
import { simulatedProviderIds } from './provider-sim-models.js';
import { type ProviderAnswer, ProviderWorld, type SimProviderEntry } from './provider-world.js';

/** The origin of virtual base URLs; only the path after it matters. */
export const VIRTUAL_PROVIDER_ORIGIN = 'http://providers.sim.invalid';

export interface VirtualProviderResponse {
  providerId: string;
  model: string;
  status: number;
  headers: Record<string, string>;
  /** Ms since the transport's origin. */
  timeMs: number;
}

export interface VirtualProviderTransportOptions {
  clock: Clock;
  /** Providers to serve: ids (`'all'`: every simulated provider) or a scenario `providers:` map. */
  providers: readonly string[] | 'all' | Readonly<Record<string, SimProviderInput>>;
  /** Scripted faults; each names its `upstream` provider. */
  faults?: FaultInput[];
  /** Seed for answers and fault probabilities. Default 1. */
  seed?: number;
  /** Words in every answer. Default 60, the size the default latencies are meant for. */
  completionTokens?: number;
  /** Multiplies model and error latencies. Default 1. */
  latencyScale?: number;
  /** t = 0 of fault windows and attempt times, epoch ms. Default: the clock's time now. */
  originMs?: number;
  /** Called with every answer's status and headers (before the stream's first chunk). */
  onResponse?: (response: VirtualProviderResponse) => void;
  /** Where requests for any other base URL go (e.g. the OpenRouter `VirtualTransport`). */
  fallback?: ChatTransport;
  /** The body sent upstream. Default: as `UpstreamClient` sends it. */
  prepareBody?: (req: TransportRequest) => Record<string, unknown>;
  /** Accepted keys; default any non-empty key. */
  apiKeys?: readonly string[];
  catalog?: ProviderCatalog;
  /** Cap on kept attempt records. Default 200 000. */
  maxAttempts?: number;
}

/** What an attempt at a given instant would get. */
export type ProviderVerdict =
  | { ok: true; latencyMs: number; headers: Record<string, string> }
  | { ok: false; outcome: string; failure: ProviderFailure };

/** The request body `UpstreamClient` sends: always streaming, asking for usage unless `includeUsage` is false. */
export function upstreamClientBody(req: TransportRequest): Record<string, unknown> {
  if (req.includeUsage === false) return { ...req.body, model: req.model, stream: true };
  const so = req.body['stream_options'];
  const options = so && typeof so === 'object' && !Array.isArray(so) ? (so as Record<string, unknown>) : {};
  return { ...req.body, model: req.model, stream: true, stream_options: { ...options, include_usage: true } };
}

export class VirtualProviderTransport implements ChatTransport {
  readonly originMs: number;
  private readonly clock: Clock;
  private readonly world: ProviderWorld;
  private readonly log: AttemptLog;
  private readonly latencyScale: number;
  private readonly options: VirtualProviderTransportOptions;

  constructor(options: VirtualProviderTransportOptions) {
    this.options = options;
    this.clock = options.clock;
    this.originMs = options.originMs ?? this.clock.now();
    this.latencyScale = options.latencyScale ?? 1;
    this.log = new AttemptLog(options.maxAttempts);
    const seed = options.seed ?? 1;
    const random = seededRandom(seed);
    const faults = new FaultSchedule(random);
    this.world = new ProviderWorld({
      clock: this.clock,
      seed,
      completionTokens: options.completionTokens ?? 60,
      providers: providerConfig(options.providers),
      faults,
      log: this.log,
      ...(options.apiKeys ? { apiKeys: new Set(options.apiKeys) } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
      startMs: () => this.originMs,
    });
    const parsed = parseFaults(options.faults ?? [], 'faults');
    const unknown = parsed.filter((f) => f.upstream === undefined || !this.world.get(f.upstream));
    if (unknown.length > 0)
      throw new ScenarioError('faults', [
        `every fault needs "upstream": a simulated provider (got ${unknown.map((f) => JSON.stringify(f.upstream)).join(', ')})`,
      ]);
    faults.set(parsed);
  }

  /** The base URL to give a gateway for `providerId` (`http://providers.sim.invalid/groq/openai/v1`). */
  baseUrl(providerId: string): string {
    const entry = this.world.get(providerId);
    if (!entry?.enabled) throw new RangeError(`the transport does not serve provider ${providerId}`);
    return `${VIRTUAL_PROVIDER_ORIGIN}${entry.basePath}`;
  }

  /** The providers served, catalog order. */
  providerIds(): string[] {
    return this.world.enabled().map((e) => e.id);
  }

  /** Every attempt so far, in arrival order (`provider` says where it went). */
  attempts(): AttemptRecord[] {
    return this.log.list();
  }

  /** A provider's enforced windows for `model` at `atMs`, as its headers would report them. */
  quota(providerId: string, model: string, atMs = this.clock.now()): QuotaView[] {
    return this.entry(providerId).quota.view(model, atMs);
  }

  /** Enable or disable a provider, change its limits or pre-spend quota while the run goes on. */
  updateProvider(providerId: string, update: ProviderUpdate): void {
    this.world.update(providerId, providerUpdateSchema.parse(update));
  }

  /** What an attempt on `model` at `providerId` would get now, without making it or counting anything. */
  peek(providerId: string, model: string, body: Record<string, unknown> = {}): ProviderVerdict {
    const entry = this.entry(providerId);
    const nowMs = this.clock.now();
    const request = {
      messages: [{ role: 'user', content: 'Say hello.' }],
      ...body,
      model,
      stream: true,
      stream_options: { include_usage: true },
    };
    const answer = this.world.decideChat(
      { providerId, key: 'sim-peek', bodyText: JSON.stringify(request) },
      nowMs,
      false,
    );
    if (answer.kind === 'ok')
      return { ok: true, latencyMs: this.latencyOf(answer).totalMs, headers: answer.headers };
    if (answer.kind === 'drop')
      return {
        ok: false,
        outcome: answer.outcome,
        failure: {
          kind: 'network',
          message: 'Upstream unreachable',
          providerId,
          providerKind: 'server_error',
        },
      };
    return { ok: false, outcome: answer.outcome, failure: this.classify(entry, answer.response, nowMs) };
  }

  async openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    const { signal } = req;
    if (signal?.aborted) throw signal.reason;
    const entry = this.entryFor(req.upstream.baseUrl);
    if (!entry) {
      if (this.options.fallback) return this.options.fallback.openStream(req);
      throw new UpstreamFailure({
        kind: 'network',
        message: 'Upstream unreachable (ECONNREFUSED)',
        detail: `no simulated provider at ${req.upstream.baseUrl}`,
      });
    }
    const nowMs = this.clock.now();
    const body = (this.options.prepareBody ?? upstreamClientBody)(req);
    const answer = this.world.decideChat(
      { providerId: entry.id, key: req.upstream.apiKey, bodyText: JSON.stringify(body) },
      nowMs,
    );
    const { record } = answer;

    if (answer.kind === 'error') {
      await this.wait(errorLatencyMs(answer.outcome) * this.latencyScale, signal, record);
      this.report(entry, req, answer.response.status, answer.response.headers);
      throw new UpstreamFailure(this.classify(entry, answer.response, this.clock.now(), req));
    }
    if (answer.kind === 'drop') {
      if (answer.outcome === 'no_response') {
        await this.wait(req.timeouts.firstTokenMs, signal, record);
        throw new UpstreamFailure({
          kind: 'timeout',
          phase: 'first_token',
          message: `No first token within ${req.timeouts.firstTokenMs} ms`,
        });
      }
      await this.wait(errorLatencyMs('connection_reset') * this.latencyScale, signal, record);
      throw new UpstreamFailure({ kind: 'network', message: 'Upstream unreachable (ECONNRESET)' });
    }

    this.report(entry, req, 200, answer.headers);
    const { firstTokenMs, generationMs } = this.latencyOf(answer);
    const { timeouts } = req;
    if (firstTokenMs > timeouts.firstTokenMs || firstTokenMs + generationMs > timeouts.totalMs) {
      const firstTokenLate = firstTokenMs > timeouts.firstTokenMs;
      try {
        await this.wait(firstTokenLate ? timeouts.firstTokenMs : timeouts.totalMs, signal, record);
      } finally {
        answer.release();
      }
      if (record) record.outcome = 'timeout';
      throw new UpstreamFailure({
        kind: 'timeout',
        phase: firstTokenLate ? 'first_token' : 'total',
        message: firstTokenLate
          ? `No first token within ${timeouts.firstTokenMs} ms`
          : `No answer within ${timeouts.totalMs} ms`,
      });
    }
    return this.play(entry, req, answer, firstTokenMs, generationMs, record);
  }

  private async *play(
    entry: SimProviderEntry,
    req: TransportRequest,
    answer: Extract<ProviderAnswer, { kind: 'ok' }>,
    firstTokenMs: number,
    generationMs: number,
    record: AttemptRecord | undefined,
  ): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const { signal } = req;
    const idleMs = req.timeouts.idleMs;
    // As `UpstreamClient` does: the usage is reported to the caller as its chunk arrives.
    const withUsage = (chunk: ChatCompletionChunk): ChatCompletionChunk => {
      if (chunk.usage && req.onUsage) {
        try {
          req.onUsage(chunk.usage);
        } catch {
          // An observer's bug must not fail the attempt.
        }
      }
      return chunk;
    };
    try {
      const chunks = providerStreamChunks(answer.meta, answer.plan, answer.usage);
      const content = chunks.content as unknown as ChatCompletionChunk[];
      const fault = answer.delivery;
      const after =
        fault && 'afterChunks' in fault ? Math.min(fault.afterChunks, content.length) : content.length;
      // Two waits per answer keep a simulated day cheap: the first token, then the rest at the model's speed.
      await this.wait(firstTokenMs, signal, record);
      yield chunks.role as unknown as ChatCompletionChunk;
      if (after > 0) yield content[0]!;
      await this.wait(generationMs, signal, record);
      for (let i = 1; i < after; i++) yield content[i]!;
      switch (fault?.kind) {
        case 'stream_cut':
        case 'malformed_chunk':
          throw new UpstreamFailure(
            {
              kind: 'server_error',
              message: fault.kind === 'stream_cut' ? 'Stream ended early' : 'Malformed chunk',
            },
            after > 0,
          );
        case 'stream_stall': {
          // The client's idle timer fires first unless the stall is shorter.
          const stallMs = fault.stallMs ?? Number.POSITIVE_INFINITY;
          if (stallMs < idleMs) {
            await this.wait(stallMs, signal, record);
            break;
          }
          await this.wait(idleMs, signal, record);
          if (record) record.outcome = 'timeout';
          throw new UpstreamFailure(
            { kind: 'timeout', phase: 'idle', message: `No chunk within ${idleMs} ms` },
            after > 0,
          );
        }
        case 'midstream_error': {
          const event = entry.dialect.streamError(answer.ctx, fault.message);
          const json = event.slice(event.indexOf('data: ') + 6).trim();
          const failure =
            req.classifyError?.(200, answer.headers, json, this.clock.now()) ??
            classifyProviderError(this.world.catalog, entry.provider, 200, {}, json, this.clock.now());
          throw new UpstreamFailure(failure, after > 0);
        }
        case 'missing_done':
          for (let i = after; i < content.length; i++) yield withUsage(content[i]!);
          for (const tail of chunks.tail) yield withUsage(tail as unknown as ChatCompletionChunk);
          throw new UpstreamFailure({ kind: 'server_error', message: 'Stream ended without [DONE]' }, true);
      }
      for (let i = after; i < content.length; i++) yield withUsage(content[i]!);
      for (const tail of chunks.tail) yield withUsage(tail as unknown as ChatCompletionChunk);
    } finally {
      answer.release();
    }
  }

  private latencyOf(answer: Extract<ProviderAnswer, { kind: 'ok' }>) {
    const { model } = answer.ctx;
    const slowMs = answer.delivery?.kind === 'slow_first_token' ? answer.delivery.delayMs : 0;
    const tokens = answer.plan.usage.completion_tokens;
    const firstTokenMs = model.ttftMs * this.latencyScale + slowMs;
    const generationMs = Math.round(
      ((Math.max(0, tokens - 1) * 1000) / model.tokensPerSecond) * this.latencyScale,
    );
    return { firstTokenMs, generationMs, totalMs: firstTokenMs + generationMs };
  }

  /** As `UpstreamClient` classifies: the request's own `classifyError` when it has one. */
  private classify(
    entry: SimProviderEntry,
    response: { status: number; headers: Record<string, string>; body: unknown },
    nowMs: number,
    req?: TransportRequest,
  ): ProviderFailure {
    const bodyText = JSON.stringify(response.body);
    const own = req?.classifyError?.(response.status, response.headers, bodyText, nowMs);
    if (own) return own as ProviderFailure;
    return classifyProviderError(
      this.world.catalog,
      entry.provider,
      response.status,
      response.headers,
      bodyText,
      nowMs,
    );
  }

  /** Tell the request's `onResponse` (as `UpstreamClient` does) and the transport's observer. */
  private report(
    entry: SimProviderEntry,
    req: TransportRequest,
    status: number,
    headers: Record<string, string>,
  ): void {
    if (req.onResponse) {
      try {
        req.onResponse(status, headers);
      } catch {
        // An observer's bug must not fail the attempt.
      }
    }
    this.options.onResponse?.({
      providerId: entry.id,
      model: req.model,
      status,
      headers,
      timeMs: this.clock.now() - this.originMs,
    });
  }

  private entry(providerId: string): SimProviderEntry {
    const entry = this.world.get(providerId);
    if (!entry?.enabled) throw new RangeError(`the transport does not serve provider ${providerId}`);
    return entry;
  }

  /** The enabled provider whose simulated base path `baseUrl` has (any origin). */
  private entryFor(baseUrl: string): SimProviderEntry | undefined {
    let path: string;
    try {
      path = new URL(baseUrl).pathname.replace(/\/+$/, '');
    } catch {
      return undefined;
    }
    return this.world.enabled().find((e) => e.basePath === path);
  }

  private async wait(
    ms: number,
    signal: AbortSignal | undefined,
    record: AttemptRecord | undefined,
  ): Promise<void> {
    if (ms <= 0) return;
    try {
      await this.clock.sleep(ms, signal);
    } catch (err) {
      if (record) record.outcome = 'cancelled';
      throw err;
    }
  }
}

function providerConfig(
  providers: VirtualProviderTransportOptions['providers'],
): Record<string, SimProviderScenario> {
  if (providers === 'all' || Array.isArray(providers)) {
    const ids = providers === 'all' ? simulatedProviderIds() : (providers as readonly string[]);
    return Object.fromEntries(
      ids.map((id) => [id, { enabled: true, defaultModels: true, models: [], limits: {} }]),
    );
  }
  return simProvidersSchema.parse(providers);
}
