/**
 * The admin API under `/__sim/`: change faults, reset counters, adjust the account and read the
 * attempt log while the simulator runs. No key needed (the simulator binds to loopback). Bodies
 * are validated; a bad one gets 400 with one line per problem.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson } from './http-util.js';
import { snapshotOf } from './providers/provider-endpoints.js';
import { providerUpdateSchema } from './providers/provider-scenario.js';
import { formatIssues, ScenarioError } from './scenario-schema.js';
import type { SimState } from './sim-state.js';

const resetSchema = z.strictObject({
  clearFaults: z.boolean().optional(),
  restartClock: z.boolean().optional(),
});
const accountSchema = z.strictObject({
  hasCredits: z.boolean().optional(),
  minuteUsed: z.number().int().nonnegative().optional(),
  dayUsed: z.number().int().nonnegative().optional(),
});
const settingsSchema = z.strictObject({ latencyScale: z.number().nonnegative().optional() });

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AdminError(400, 'request body is not valid JSON');
  }
}

async function validBody<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.output<S>> {
  const input = await jsonBody(req);
  const result = schema.safeParse(input);
  if (!result.success) throw new AdminError(400, 'invalid request body', formatIssues(result.error, input));
  return result.data;
}

function stateBody(state: SimState): Record<string, unknown> {
  return {
    elapsedMs: state.elapsedMs(),
    seed: state.seed,
    latencyScale: state.latencyScale,
    account: state.accountSnapshot(),
    attempts: state.log.size,
    droppedAttempts: state.log.dropped,
    faults: state.faults.list(),
    models: [...state.models.keys()],
    providers: state.providers.enabled().map((p) => p.id),
  };
}

function providerEntry(state: SimState, id: string) {
  const entry = state.providers.get(decodeURIComponent(id));
  if (!entry) throw new AdminError(404, `no simulated provider ${id}`);
  return entry;
}

/** Answer one `/__sim/…` request; `path` is the part after `/__sim/`, `query` the search string. */
export async function handleAdmin(
  state: SimState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    const [resource, id] = path.split('/');
    const route = `${method} ${resource}${id === undefined ? '' : '/:id'}`;
    switch (route) {
      case 'GET state':
        return sendJson(res, 200, stateBody(state));
      case 'GET attempts': {
        const model = query.get('model');
        const attempts = state.attempts().filter((a) => model === null || a.model === model);
        return sendJson(res, 200, { attempts, dropped: state.log.dropped });
      }
      case 'DELETE attempts':
        state.log.clear();
        return sendJson(res, 200, { attempts: [] });
      case 'GET faults':
        return sendJson(res, 200, { faults: state.faults.list() });
      case 'POST faults': {
        const input = await jsonBody(req);
        const list = Array.isArray(input) ? input : [input];
        return sendJson(res, 200, { faults: list.map((f) => state.addFault(f)) });
      }
      case 'PUT faults': {
        const input = await jsonBody(req);
        return sendJson(res, 200, { faults: state.setFaults(Array.isArray(input) ? input : [input]) });
      }
      case 'DELETE faults':
        state.faults.clear();
        return sendJson(res, 200, { faults: [] });
      case 'DELETE faults/:id':
        if (!state.faults.remove(decodeURIComponent(id!)))
          throw new AdminError(404, `no fault with id ${id}`);
        return sendJson(res, 200, { faults: state.faults.list() });
      case 'POST reset':
        state.reset(await validBody(req, resetSchema));
        return sendJson(res, 200, stateBody(state));
      case 'GET account':
        return sendJson(res, 200, state.accountSnapshot());
      case 'POST account':
        return sendJson(res, 200, state.updateAccount(await validBody(req, accountSchema)));
      case 'GET providers': {
        const nowMs = state.clock.now();
        return sendJson(res, 200, { providers: state.providers.all().map((p) => snapshotOf(p, nowMs)) });
      }
      case 'GET providers/:id':
        return sendJson(res, 200, snapshotOf(providerEntry(state, id!), state.clock.now()));
      case 'POST providers/:id': {
        const entry = providerEntry(state, id!);
        const update = await validBody(req, providerUpdateSchema);
        try {
          state.providers.update(entry.id, update);
        } catch (err) {
          if (err instanceof RangeError) throw new AdminError(400, err.message);
          throw err;
        }
        return sendJson(res, 200, snapshotOf(entry, state.clock.now()));
      }
      case 'POST settings': {
        const settings = await validBody(req, settingsSchema);
        if (settings.latencyScale !== undefined) state.setLatencyScale(settings.latencyScale);
        return sendJson(res, 200, stateBody(state));
      }
      default:
        throw new AdminError(404, `no admin route ${method} /__sim/${path}`);
    }
  } catch (err) {
    if (err instanceof ScenarioError)
      return sendJson(res, 400, { error: { message: err.message, issues: err.issues } });
    if (err instanceof AdminError)
      return sendJson(res, err.status, { error: { message: err.message, issues: err.issues } });
    throw err;
  }
}
