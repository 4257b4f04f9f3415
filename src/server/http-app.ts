/**
 * The gateway's request handler on plain `node:http` (measured faster than a framework for this
 * handful of routes): routing, client auth, per-request abort on disconnect, request logging, and
 * draining on shutdown so that requests in = responses out.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AuthenticationError, CancelledError, NotFoundError, ShuttingDownError } from '../errors.js';
import { anthropicModel, anthropicModelList } from '../protocols/anthropic/anthropic-models.js';
import { countTokens, messagesProtocol } from '../protocols/anthropic/messages-protocol.js';
import { DEFAULT_MODEL_ALIASES } from '../protocols/model-alias.js';
import { ResponseStore } from '../protocols/responses/response-store.js';
import { responsesProtocol } from '../protocols/responses/responses-protocol.js';
import type { Rotor } from '../router/create-rotor.js';
import { type ChatRouteContext, type ChatRouteResult, handleChatCompletions } from './chat-route.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { readJsonBody, sendError, sendJson } from './http-body.js';
import { handleProtocolRoute } from './protocol-route.js';
import { errorShapeFor, protocolRoute } from './protocol-routes.js';

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
  /** Model names agents send → rotor models (`/v1/messages`, `/v1/responses`); default every `claude-*` → `auto`. */
  modelAliases?: Readonly<Record<string, string>>;
  /** What `/v1/responses` keeps for `store: true` (previous_response_id, item_reference). */
  responseStore?: ResponseStore;
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

  const translate = {
    aliases: deps.modelAliases ?? DEFAULT_MODEL_ALIASES,
    newId: (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
  };
  const responses = responsesProtocol(deps.responseStore ?? new ResponseStore());

  const authorised = (req: IncomingMessage, target: Target): boolean => {
    if (keyDigests.length === 0) return true;
    const header = req.headers.authorization;
    // Anthropic clients send their key as `x-api-key`.
    const apiKeyHeader = req.headers['x-api-key'];
    const presented = header?.startsWith('Bearer ')
      ? header.slice(7).trim()
      : typeof apiKeyHeader === 'string' && apiKeyHeader
        ? apiKeyHeader.trim()
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
    // Claude Code checks reachability with `HEAD /` before its first request.
    if (method === 'HEAD' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end();
      return;
    }
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
        new AuthenticationError(
          'Missing or invalid API key for this gateway (Authorization: Bearer … or x-api-key)',
          { code: 'invalid_api_key' },
        ),
        {},
        errorShapeFor(path),
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
      return chat(res, reqId, 'chat_completions', (signal) =>
        handleChatCompletions(req, res, chatContext, signal),
      );
    }
    const protocol = protocolRoute(method, path);
    if (protocol === 'messages') {
      return chat(res, reqId, protocol, (signal) =>
        handleProtocolRoute(req, res, chatContext, messagesProtocol, translate, signal),
      );
    }
    if (protocol === 'responses') {
      return chat(res, reqId, protocol, (signal) =>
        handleProtocolRoute(req, res, chatContext, responses, translate, signal),
      );
    }
    if (protocol === 'count_tokens')
      return sendJson(res, 200, countTokens(await readJsonBody(req, deps.bodyLimitBytes)));
    // Anthropic clients (they send `anthropic-version`) get Anthropic's model fields as well.
    const anthropic = req.headers['anthropic-version'] !== undefined;
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) {
      const list = deps.listModels() as Array<{ id: string }>;
      return sendJson(res, 200, anthropic ? anthropicModelList(list) : { object: 'list', data: list });
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const found = deps.listModels().find((m) => (m as { id: string }).id === id);
      if (found) return sendJson(res, 200, anthropic ? anthropicModel(found as { id: string }) : found);
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

  /** Run one answering route (chat completions or a translated protocol) with tracking, metrics and a log line. */
  async function chat(
    res: ServerResponse,
    reqId: string,
    route: string,
    handler: (signal: AbortSignal) => Promise<ChatRouteResult>,
  ): Promise<void> {
    const startedMs = now();
    const entry: InFlight = { controller: new AbortController() };
    const untrack = track(entry);
    const onClose = () => {
      if (!res.writableFinished) entry.controller.abort(new CancelledError('The client disconnected'));
    };
    res.on('close', onClose);
    try {
      const result = await handler(entry.controller.signal);
      const attempts = result.attempts;
      const durationMs = now() - startedMs;
      deps.metrics.recordRequest({
        status: result.status,
        outcome: result.outcome,
        durationMs,
        stream: result.stream,
        attempts,
        route,
      });
      deps.logger.info(
        {
          reqId,
          route,
          status: result.status,
          outcome: result.outcome,
          stream: result.stream,
          model: result.model ?? res.getHeader('x-rotor-model'),
          attempts: res.getHeader('x-rotor-attempts'),
          durationMs,
        },
        route === 'chat_completions' ? 'chat completion' : `${route} request`,
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
        sendError(res, err, {}, errorShapeFor(target.pathname));
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
