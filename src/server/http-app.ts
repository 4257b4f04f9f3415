/**
 * The gateway's request handler on plain `node:http` (measured faster than a framework for this
 * handful of routes): routing, client auth, per-request abort on disconnect, request logging, and
 * draining on shutdown so that requests in = responses out.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AuthenticationError, CancelledError, NotFoundError, ShuttingDownError } from '../errors.js';
import type { Rotor } from '../router/create-rotor.js';
import { type ChatRouteContext, handleChatCompletions } from './chat-route.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { sendError, sendJson } from './http-body.js';

export interface GatewayAppDeps {
  rotor: Rotor;
  metrics: GatewayMetrics;
  logger: Logger;
  bodyLimitBytes: number;
  apiKeys: readonly string[];
  allowUnknownModels: boolean;
  isKnownModel(id: string): boolean;
  /** `GET /v1/models` entries beyond `auto`. */
  listModels(): unknown[];
  /** `GET /v1/rotor/status`. */
  status(): unknown;
  /** `GET /health` extras (e.g. simulated: true). */
  health(): Record<string, unknown>;
  /** `GET /` */
  dashboardHtml(): string;
  /** `GET /v1/rotor/events`: attach a server-sent-event listener; returns a detach function. */
  attachEvents(res: ServerResponse): () => void;
  clock?: { now(): number };
}

interface InFlight {
  controller: AbortController;
}

export interface GatewayApp {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Stop taking work, let in-flight requests finish within `drainMs`, then abort the rest cleanly. */
  drain(drainMs: number): Promise<{ drained: number; aborted: number }>;
  readonly inFlight: number;
}

export function createGatewayApp(deps: GatewayAppDeps): GatewayApp {
  const inFlight = new Set<InFlight>();
  const keyDigests = deps.apiKeys.map(digest);
  const now = () => deps.clock?.now() ?? Date.now();
  let draining = false;
  let idleWaiters: Array<() => void> = [];
  let nextId = 0;
  // The same for every chat request: built once, not per request.
  const chatContext: ChatRouteContext = {
    rotor: deps.rotor,
    bodyLimitBytes: deps.bodyLimitBytes,
    isKnownModel: deps.isKnownModel,
    allowUnknownModels: deps.allowUnknownModels,
  };

  const authorised = (req: IncomingMessage, target: Target): boolean => {
    if (keyDigests.length === 0) return true;
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ')
      ? header.slice(7).trim()
      : (new URLSearchParams(target.query).get('key') ?? '');
    if (!presented) return false;
    const d = digest(presented);
    return keyDigests.some((k) => timingSafeEqual(k, d));
  };

  const track = (entry: InFlight): (() => void) => {
    inFlight.add(entry);
    return () => {
      inFlight.delete(entry);
      if (inFlight.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    };
  };

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    reqId: string,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const pathname = target.pathname;
    const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;

    if (method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok', ...deps.health() });
    if (method === 'GET' && path === '/') {
      const html = deps.dashboardHtml();
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        // The page is one self-contained file: nothing else may load or run.
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
        'x-content-type-options': 'nosniff',
        'content-length': Buffer.byteLength(html),
        'cache-control': 'no-cache',
      });
      res.end(html);
      return;
    }
    if (!authorised(req, target)) {
      req.resume();
      sendError(
        res,
        new AuthenticationError('Missing or invalid API key for this gateway (Authorization: Bearer …)', {
          code: 'invalid_api_key',
        }),
      );
      return;
    }
    if (method === 'GET' && path === '/ready') {
      const current = deps.rotor.engine.currentModel();
      if (current) return sendJson(res, 200, { status: 'ready', currentModel: current });
      return sendJson(res, 503, { status: 'unavailable', reasons: unavailableReasons(deps.rotor) });
    }
    if (method === 'GET' && path === '/metrics') {
      const text = await deps.metrics.text();
      res.writeHead(200, { 'content-type': deps.metrics.contentType });
      res.end(text);
      return;
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) {
      return chat(req, res, reqId);
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) {
      return sendJson(res, 200, { object: 'list', data: deps.listModels() });
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const found = deps.listModels().find((m) => (m as { id: string }).id === id);
      if (found) return sendJson(res, 200, found);
      throw new NotFoundError(`The model \`${id}\` is not known to rotor`, {
        code: 'model_not_found',
        param: 'model',
      });
    }
    if (method === 'GET' && path === '/v1/rotor/status') return sendJson(res, 200, deps.status());
    if (method === 'GET' && path === '/v1/rotor/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(': rotor events\n\n');
      const detach = deps.attachEvents(res);
      res.on('close', detach);
      return;
    }
    req.resume();
    throw new NotFoundError(`No route for ${method} ${path}`, { code: 'unknown_route' });
  }

  async function chat(req: IncomingMessage, res: ServerResponse, reqId: string): Promise<void> {
    const startedMs = now();
    const entry: InFlight = { controller: new AbortController() };
    const untrack = track(entry);
    const onClose = () => {
      if (!res.writableFinished) entry.controller.abort(new CancelledError('The client disconnected'));
    };
    res.on('close', onClose);
    try {
      const result = await handleChatCompletions(req, res, chatContext, entry.controller.signal);
      const attempts = result.attempts;
      const durationMs = now() - startedMs;
      deps.metrics.recordRequest({
        status: result.status,
        outcome: result.outcome,
        durationMs,
        stream: result.stream,
        attempts,
      });
      deps.logger.info(
        {
          reqId,
          status: result.status,
          outcome: result.outcome,
          stream: result.stream,
          model: result.model ?? res.getHeader('x-rotor-model'),
          attempts: res.getHeader('x-rotor-attempts'),
          durationMs,
        },
        'chat completion',
      );
    } finally {
      res.off('close', onClose);
      untrack();
    }
  }

  return {
    get inFlight() {
      return inFlight.size;
    },
    handle(req, res) {
      const reqId = String(req.headers['x-request-id'] ?? `req-${(++nextId).toString(36)}`);
      res.setHeader('x-request-id', reqId);
      if (draining) {
        req.resume();
        sendError(
          res,
          new ShuttingDownError('The gateway is shutting down; retry shortly', {
            code: 'shutting_down',
            retryAfterMs: 1000,
          }),
          {
            connection: 'close',
          },
        );
        return;
      }
      const target = parseTarget(req.url ?? '/');
      if (!target) {
        sendError(res, new NotFoundError('Malformed request URL', { code: 'unknown_route' }));
        return;
      }
      route(req, res, target, reqId).catch((err: unknown) => {
        if (!(err instanceof NotFoundError) && !(err instanceof AuthenticationError)) {
          deps.logger.error({ reqId, err }, 'request failed');
        }
        sendError(res, err);
      });
    },
    async drain(drainMs) {
      draining = true;
      const total = inFlight.size;
      if (total === 0) return { drained: 0, aborted: 0 };
      const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), drainMs);
      });
      const outcome = await Promise.race([idle, timedOut]);
      clearTimeout(timer);
      if (outcome !== 'timeout') return { drained: total, aborted: 0 };
      const remaining = [...inFlight];
      for (const entry of remaining) {
        entry.controller.abort(
          new ShuttingDownError('The gateway shut down before this request finished; retry it', {
            code: 'shutting_down',
            retryAfterMs: 1000,
          }),
        );
      }
      await idle;
      return { drained: total - remaining.length, aborted: remaining.length };
    },
  };
}

/** A request target split into path and query (without `?`). */
interface Target {
  pathname: string;
  query: string;
}

/** A plain path needs no URL parser: nothing to normalise (no dot segments, escapes, backslashes or fragments). */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9/_-]*$/; // `//x/…` is scheme-relative to URL: leave it to URL

/**
 * Split the request target. The usual `/v1/chat/completions` is split by hand: a WHATWG `URL` per
 * request showed in the profile. Anything else goes through `URL`, which normalises it as before.
 */
function parseTarget(raw: string): Target | undefined {
  const q = raw.indexOf('?');
  const pathname = q === -1 ? raw : raw.slice(0, q);
  if (PLAIN_PATH.test(pathname) && (q === -1 || raw.indexOf('#', q) === -1)) {
    return { pathname, query: q === -1 ? '' : raw.slice(q + 1) };
  }
  try {
    const url = new URL(raw, 'http://rotor.local');
    return { pathname: url.pathname, query: url.search.slice(1) };
  } catch {
    return undefined;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function unavailableReasons(rotor: Rotor): unknown[] {
  return rotor.engine
    .metrics()
    .models.filter((m) => rotor.engine.rotationOrder.includes(m.model))
    .map((m) => m.unavailableReason ?? { model: m.model, reason: 'available' });
}
