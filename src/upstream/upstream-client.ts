/**
 * The one adapter for every OpenAI-compatible upstream, over undici: one keep-alive `Pool`
 * per origin (and connect timeout), `pool.request` rather than `fetch` (no WHATWG stream
 * layer per chunk), request headers built once per upstream.
 */

import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { type Clock, systemClock } from '../engine/clock.js';
import type { ChatTransport, TransportRequest } from './chat-transport.js';
import { UpstreamFailure } from './chat-transport.js';
import { classifyHttpError } from './classify.js';
import { classifyNetworkError } from './classify-network-error.js';
import { redactSecrets } from './redact-secrets.js';
import { StreamAttempt } from './stream-attempt.js';
import { type UpstreamConfig, upstreamHeaders } from './upstream-config.js';

export type { AttemptTimeouts, ChatTransport, TransportRequest } from './chat-transport.js';
export { UpstreamFailure } from './chat-transport.js';

export interface UpstreamClientOptions {
  /** Time source for rate-limit reset arithmetic. Default: `systemClock`. */
  clock?: Clock;
  /** Maximum sockets per origin; `null` = unlimited (default), so streams never queue behind each other. */
  connectionsPerOrigin?: number | null;
  /** How long an idle pooled socket is kept, ms. Default 10 000 (a shorter server keep-alive hint wins). */
  keepAliveTimeoutMs?: number;
  /** Deadline for `listModels` / `getKeyInfo`, ms. Default 30 000. */
  metadataTimeoutMs?: number;
  /** Connect timeout for `listModels` / `getKeyInfo`, ms. Default 10 000. */
  metadataConnectTimeoutMs?: number;
}

/** undici's own header/body timeouts stay as a backstop behind rotor's timers: this much later, ms. */
const UNDICI_BACKSTOP_MS = 1_000;

interface BaseUrl {
  /** `https://openrouter.ai` */
  origin: string;
  /** `/api/v1` (no trailing slash) */
  prefix: string;
}

export class UpstreamClient implements ChatTransport {
  private readonly clock: Clock;
  private readonly connections: number | null;
  private readonly keepAliveTimeoutMs: number;
  private readonly metadataTimeoutMs: number;
  private readonly metadataConnectTimeoutMs: number;
  private readonly pools = new Map<string, Pool>();
  private readonly bases = new Map<string, BaseUrl>();
  /** Stream request headers per upstream config object (configs are treated as immutable). */
  private readonly streamHeaders = new WeakMap<UpstreamConfig, Record<string, string>>();
  private readonly now: () => number;
  private closed = false;

  constructor(options: UpstreamClientOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.connections = options.connectionsPerOrigin ?? null;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 10_000;
    this.metadataTimeoutMs = options.metadataTimeoutMs ?? 30_000;
    this.metadataConnectTimeoutMs = options.metadataConnectTimeoutMs ?? 10_000;
    this.now = () => this.clock.now();
  }

  openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    if (this.closed) return Promise.reject(new Error('UpstreamClient is closed'));
    const base = this.base(req.upstream.baseUrl);
    const pool = this.pool(base.origin, req.timeouts.connectMs);
    const so = req.body['stream_options'];
    const body = JSON.stringify(
      req.includeUsage === false
        ? { ...req.body, model: req.model, stream: true }
        : {
            ...req.body,
            model: req.model,
            stream: true,
            stream_options: { ...(isRecord(so) ? so : {}), include_usage: true },
          },
    );
    const backstopMs = req.timeouts.totalMs + UNDICI_BACKSTOP_MS;
    const options: Dispatcher.RequestOptions = {
      method: 'POST',
      path: `${base.prefix}/chat/completions`,
      headers: this.headersFor(req.upstream),
      body,
      headersTimeout: backstopMs,
      bodyTimeout: backstopMs,
    };
    return new StreamAttempt(pool, options, req, this.now).start();
  }

  /** `GET {baseUrl}/models` → its `data` array. */
  async listModels(upstream: UpstreamConfig, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const body = await this.getJson(upstream, '/models', signal);
    const data = isRecord(body) ? body['data'] : undefined;
    if (!Array.isArray(data)) {
      throw new UpstreamFailure({
        kind: 'server_error',
        status: 200,
        message: 'Model list has no data array',
      });
    }
    return data as Record<string, unknown>[];
  }

  /** `GET {baseUrl}/key` (falling back to the older `/auth/key`) → its `data` object. */
  async getKeyInfo(upstream: UpstreamConfig, signal?: AbortSignal): Promise<Record<string, unknown>> {
    let body: unknown;
    try {
      body = await this.getJson(upstream, '/key', signal);
    } catch (err) {
      if (!(err instanceof UpstreamFailure && err.failure.status === 404)) throw err;
      body = await this.getJson(upstream, '/auth/key', signal);
    }
    const data = isRecord(body) ? body['data'] : undefined;
    if (!isRecord(data)) {
      throw new UpstreamFailure({
        kind: 'server_error',
        status: 200,
        message: 'Key info has no data object',
      });
    }
    return data;
  }

  /** Close every pooled connection once in-flight requests finish. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private async getJson(upstream: UpstreamConfig, path: string, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) throw new Error('UpstreamClient is closed');
    if (signal?.aborted) throw signal.reason;
    const base = this.base(upstream.baseUrl);
    const pool = this.pool(base.origin, this.metadataConnectTimeoutMs);
    const timeout = AbortSignal.timeout(this.metadataTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const key = upstream.apiKey;
    try {
      const res = await pool.request({
        method: 'GET',
        path: `${base.prefix}${path}`,
        headers: { ...upstreamHeaders(upstream), accept: 'application/json' },
        signal: combined,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const failure = classifyHttpError(res.statusCode, res.headers, text, this.clock.now());
        failure.message = redactSecrets(failure.message, [key]);
        throw new UpstreamFailure(failure);
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new UpstreamFailure({
          kind: 'server_error',
          status: res.statusCode,
          message: 'Malformed JSON body',
        });
      }
    } catch (err) {
      if (err instanceof UpstreamFailure) throw err;
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new UpstreamFailure({
          kind: 'timeout',
          phase: 'total',
          message: `No answer to GET ${path} within ${this.metadataTimeoutMs} ms`,
        });
      }
      const failure = classifyNetworkError(err);
      failure.message = redactSecrets(failure.message, [key]);
      throw new UpstreamFailure(failure);
    }
  }

  private headersFor(upstream: UpstreamConfig): Record<string, string> {
    let h = this.streamHeaders.get(upstream);
    if (!h) {
      h = { ...upstreamHeaders(upstream), 'content-type': 'application/json', accept: 'text/event-stream' };
      this.streamHeaders.set(upstream, h);
    }
    return h;
  }

  private base(baseUrl: string): BaseUrl {
    let b = this.bases.get(baseUrl);
    if (!b) {
      const url = new URL(baseUrl);
      b = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
      this.bases.set(baseUrl, b);
    }
    return b;
  }

  /** One pool per origin and connect timeout (undici fixes the connect timeout per pool). */
  private pool(origin: string, connectMs: number): Pool {
    const key = `${connectMs} ${origin}`;
    let p = this.pools.get(key);
    if (!p) {
      p = new Pool(origin, {
        connections: this.connections,
        pipelining: 1,
        keepAliveTimeout: this.keepAliveTimeoutMs,
        connect: { timeout: connectMs },
      });
      this.pools.set(key, p);
    }
    return p;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
