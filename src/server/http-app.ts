/**
 * The gateway's request handler on plain `node:http` (measured faster than a framework for this
 * handful of routes): routing, client auth, per-request abort on disconnect, request logging, and
 * draining on shutdown so that requests in = responses out.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  AuthenticationError,
  CancelledError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  RotorError,
  ShuttingDownError,
} from '../errors.js';
import { anthropicModel, anthropicModelList } from '../protocols/anthropic/anthropic-models.js';
import { countTokens, messagesProtocol } from '../protocols/anthropic/messages-protocol.js';
import { DEFAULT_MODEL_ALIASES } from '../protocols/model-alias.js';
import { ResponseStore } from '../protocols/responses/response-store.js';
import { responsesProtocol } from '../protocols/responses/responses-protocol.js';
import { clip } from '../redact.js';
import type { Rotor } from '../router/create-rotor.js';
import { type ChatRouteContext, type ChatRouteResult, handleChatCompletions } from './chat-route.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { readJsonBody, sendError, sendJson } from './http-body.js';
import { handleProtocolRoute } from './protocol-route.js';
import { errorShapeFor } from './protocol-routes.js';

export interface GatewayAppDeps extends GatewayAppSettings {
  rotor: Rotor;
  metrics: GatewayMetrics;
  logger: Logger;
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

/** What a config reload (SIGHUP) may change while the gateway runs. */
export interface GatewayAppSettings {
  bodyLimitBytes: number;
  apiKeys: readonly string[];
  allowUnknownModels: boolean;
  /** Origins allowed to call from a browser (`*` = any); empty = no CORS headers. */
  corsOrigins?: readonly string[];
}

interface InFlight {
  controller: AbortController;
}

export interface GatewayApp {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Answer new requests with a clean 503 `shutting_down` from now on (the listener may still accept). */
  stopTakingWork(): void;
  /** Stop taking work, let in-flight requests finish within `drainMs`, then abort the rest cleanly. */
  drain(drainMs: number): Promise<{ drained: number; aborted: number }>;
  /** Apply reloaded settings to the requests that arrive from now on. */
  reconfigure(settings: GatewayAppSettings): void;
  readonly inFlight: number;
}

/** What a route handler gets. */
interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  reqId: string;
  /** The path's variable part (`/v1/models/{id}`: the encoded id). */
  rest: string;
}

type Handler = (call: RouteCall) => void | Promise<void>;

/**
 * One entry of the route table. Everything generic follows from it for every route, present and
 * future: `HEAD` on each `GET`, 405 with `Allow` for another method, CORS preflights, and auth.
 */
interface Route {
  /** Exact paths (without a trailing slash), or a prefix ending in `/` whose rest is passed on. */
  paths: readonly string[];
  methods: Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', Handler>>;
  /** No client key needed (health, the dashboard page). */
  open?: boolean;
  /** The client key may come as `?key=` (the dashboard's data routes: EventSource cannot send headers). */
  queryKey?: boolean;
}

/** Request headers a browser client may send cross-origin. */
const CORS_ALLOW_HEADERS = 'authorization, content-type, x-rotor-deadline-ms, x-request-id';
/** Response headers a browser client may read cross-origin. */
const CORS_EXPOSE_HEADERS = 'x-rotor-model, x-rotor-attempts, x-request-id, retry-after';
/** A client's `x-request-id` is echoed and logged only when it is a short, plain token. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function createGatewayApp(deps: GatewayAppDeps): GatewayApp {
  const inFlight = new Set<InFlight>();
  let settings: GatewayAppSettings = deps;
  let keyDigests = deps.apiKeys.map(digest);
  const now = () => deps.clock?.now() ?? Date.now();
  let draining = false;
  let idleWaiters: Array<() => void> = [];
  let nextId = 0;
  // The same for every chat request: built once (and on reload), not per request.
  let chatContext = chatContextFrom(settings);
  function chatContextFrom(s: GatewayAppSettings): ChatRouteContext {
    return {
      rotor: deps.rotor,
      bodyLimitBytes: s.bodyLimitBytes,
      isKnownModel: deps.isKnownModel,
      allowUnknownModels: s.allowUnknownModels,
    };
  }

  const translate = {
    aliases: deps.modelAliases ?? DEFAULT_MODEL_ALIASES,
    newId: (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
  };
  const responses = responsesProtocol(deps.responseStore ?? new ResponseStore());

  const authorised = (req: IncomingMessage, target: Target, route: Route): boolean => {
    if (keyDigests.length === 0 || route.open) return true;
    // The scheme is case-insensitive (RFC 7235): `bearer x` is as good as `Bearer x`.
    const scheme = /^bearer[ \t]+(.+)$/i.exec(req.headers.authorization ?? '');
    // Anthropic clients send their key as `x-api-key`.
    const apiKeyHeader = req.headers['x-api-key'];
    const presented = scheme
      ? scheme[1]!.trim()
      : typeof apiKeyHeader === 'string' && apiKeyHeader
        ? apiKeyHeader.trim()
        : route.queryKey
          ? (new URLSearchParams(target.query).get('key') ?? '')
          : '';
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

  const routes: readonly Route[] = [
    {
      paths: ['/health'],
      open: true,
      methods: {
        GET: ({ res }) =>
          sendJson(res, 200, {
            status: draining ? 'draining' : 'ok',
            ...deps.health(),
            inFlight: inFlight.size,
          }),
      },
    },
    {
      paths: ['/'],
      open: true,
      methods: {
        GET: ({ res }) => {
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
        },
      },
    },
    {
      paths: ['/ready'],
      methods: {
        GET: ({ res }) => {
          const current = deps.rotor.engine.currentModel();
          if (current) return sendJson(res, 200, { status: 'ready', currentModel: current });
          return sendJson(res, 503, { status: 'unavailable', reasons: unavailableReasons(deps.rotor) });
        },
      },
    },
    {
      paths: ['/metrics'],
      methods: {
        GET: async ({ res }) => {
          const text = await deps.metrics.text();
          res.writeHead(200, { 'content-type': deps.metrics.contentType });
          res.end(text);
        },
      },
    },
    {
      paths: ['/v1/chat/completions', '/chat/completions'],
      methods: {
        POST: ({ req, res, reqId }) =>
          chat(res, reqId, 'chat_completions', (signal) =>
            handleChatCompletions(req, res, chatContext, signal),
          ),
      },
    },
    {
      paths: ['/v1/messages', '/messages'],
      methods: {
        POST: ({ req, res, reqId }) =>
          chat(res, reqId, 'messages', (signal) =>
            handleProtocolRoute(req, res, chatContext, messagesProtocol, translate, signal),
          ),
      },
    },
    {
      paths: ['/v1/messages/count_tokens', '/messages/count_tokens'],
      methods: {
        POST: async ({ req, res }) =>
          sendJson(res, 200, countTokens(await readJsonBody(req, settings.bodyLimitBytes))),
      },
    },
    {
      paths: ['/v1/responses', '/responses'],
      methods: {
        POST: ({ req, res, reqId }) =>
          chat(res, reqId, 'responses', (signal) =>
            handleProtocolRoute(req, res, chatContext, responses, translate, signal),
          ),
      },
    },
    {
      paths: ['/v1/models', '/models'],
      methods: {
        // Anthropic clients (they send `anthropic-version`) get Anthropic's model fields as well.
        GET: ({ req, res }) => {
          const list = deps.listModels() as Array<{ id: string }>;
          const anthropic = req.headers['anthropic-version'] !== undefined;
          return sendJson(res, 200, anthropic ? anthropicModelList(list) : { object: 'list', data: list });
        },
      },
    },
    {
      paths: ['/v1/models/', '/models/'],
      methods: {
        GET: ({ req, res, rest }) => {
          const id = decodePathSegment(rest);
          const found = deps.listModels().find((m) => (m as { id: string }).id === id);
          const anthropic = req.headers['anthropic-version'] !== undefined;
          if (found) return sendJson(res, 200, anthropic ? anthropicModel(found as { id: string }) : found);
          throw new NotFoundError(`The model \`${clip(id)}\` is not known to rotor`, {
            code: 'model_not_found',
            param: 'model',
          });
        },
      },
    },
    {
      paths: ['/v1/rotor/status'],
      queryKey: true,
      methods: { GET: ({ res }) => sendJson(res, 200, deps.status()) },
    },
    {
      paths: ['/v1/rotor/events'],
      queryKey: true,
      methods: {
        GET: ({ req, res }) => {
          const head = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
          if (req.method === 'HEAD') return void res.writeHead(200, head).end();
          res.writeHead(200, { ...head, connection: 'keep-alive' });
          res.write(': rotor events\n\n');
          const detach = deps.attachEvents(res);
          res.on('close', detach);
        },
      },
    },
  ];

  /** The route serving `path` and the path's variable part, if any route does. */
  const find = (path: string): { route: Route; rest: string } | undefined => {
    for (const route of routes) {
      for (const p of route.paths) {
        if (p === path) return { route, rest: '' };
        if (p.endsWith('/') && p.length > 1 && path.startsWith(p) && path.length > p.length)
          return { route, rest: path.slice(p.length) };
      }
    }
    return undefined;
  };

  /** The methods a route answers, as an `Allow` header. */
  const allowOf = (route: Route): string => {
    const methods = Object.keys(route.methods);
    if (route.methods.GET) methods.push('HEAD');
    return [...methods, 'OPTIONS'].join(', ');
  };

  /** CORS response headers for an allowed `Origin`; false when the origin is not allowed. */
  const corsHeaders = (req: IncomingMessage): Record<string, string> | false => {
    const origin = req.headers.origin;
    const allowed = settings.corsOrigins ?? [];
    if (!origin || allowed.length === 0) return false;
    if (!allowed.includes('*') && !allowed.includes(origin)) return false;
    return {
      'access-control-allow-origin': allowed.includes('*') ? '*' : origin,
      'access-control-expose-headers': CORS_EXPOSE_HEADERS,
      vary: 'origin',
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
    const cors = corsHeaders(req);
    if (cors) for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    const found = find(path);
    if (!found) {
      req.resume();
      throw new NotFoundError(`No route for ${clip(method, 20)} ${clip(path)}`, { code: 'unknown_route' });
    }
    const { route: matched, rest } = found;
    if (method === 'OPTIONS') {
      // Preflights carry no credentials: answered before auth, with what the route allows.
      req.resume();
      const allow = allowOf(matched);
      res.writeHead(204, {
        allow,
        ...(cors
          ? {
              'access-control-allow-methods': allow,
              'access-control-allow-headers': CORS_ALLOW_HEADERS,
              'access-control-max-age': '600',
            }
          : {}),
      });
      res.end();
      return;
    }
    const handler = matched.methods[(method === 'HEAD' ? 'GET' : method) as keyof Route['methods']];
    if (!handler) {
      req.resume();
      throw new MethodNotAllowedError(
        `${clip(method, 20)} is not allowed on ${path}; use ${allowOf(matched)}`,
        {
          code: 'method_not_allowed',
          allow: allowOf(matched),
        },
      );
    }
    if (!authorised(req, target, matched)) {
      req.resume();
      throw new AuthenticationError(
        'Missing or invalid API key for this gateway (Authorization: Bearer … or x-api-key)',
        { code: 'invalid_api_key' },
      );
    }
    await handler({ req, res, reqId, rest });
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
    reconfigure(next) {
      settings = next;
      keyDigests = next.apiKeys.map(digest);
      chatContext = chatContextFrom(next);
    },
    handle(req, res) {
      const given = req.headers['x-request-id'];
      const reqId =
        typeof given === 'string' && REQUEST_ID.test(given) ? given : `req-${(++nextId).toString(36)}`;
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
        req.resume();
        sendError(res, new InvalidRequestError('Malformed request URL', { code: 'invalid_path' }));
        return;
      }
      route(req, res, target, reqId).catch((err: unknown) => {
        if (!(err instanceof RotorError) || err.status >= 500) {
          deps.logger.error({ reqId, err }, 'request failed');
        }
        sendError(res, err, {}, errorShapeFor(target.pathname));
      });
    },
    stopTakingWork() {
      draining = true;
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

/** A `%`-encoded path segment, decoded; a malformed escape is the client's error, not a crash. */
function decodePathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidRequestError(`The path segment "${clip(raw)}" is not valid percent-encoding`, {
      code: 'invalid_path',
    });
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
