/**
 * How one provider speaks: its error envelopes, its 429 wording for each spent window, the quota
 * headers it sends, what it charges a request, which parameters it rejects and how its model list
 * looks. One `ProviderDialect` per provider (`*-dialect.ts`); the bodies reproduce the real
 * captures in `test/fixtures/providers/` wherever one exists, with the numbers of the simulator's
 * own counters in them.
 */
import type { ChatRequest } from '../answer-plan.js';
import type { SimResponse } from '../openrouter-bodies.js';
import type { QuotaCharge, QuotaRefusal, QuotaView } from './provider-quota.js';
import type { SimProviderModel } from './provider-sim-models.js';

export type { SimResponse };

/** A chat request as a provider sees it: the parsed body, every field kept. */
export type ProviderChatRequest = ChatRequest & Record<string, unknown>;

/** What a dialect knows about the request it answers. */
export interface ChatContext {
  providerId: string;
  model: SimProviderModel;
  request: ProviderChatRequest;
  stream: boolean;
  nowMs: number;
  promptTokens: number;
  /** Tokens the answer will have (known in advance: the simulator plans its answers). */
  completionTokens: number;
  /** The account as the provider names it in messages: `org_…`, a user name, an account id. */
  accountLabel: string;
  /** A request id, unique within the simulator. */
  requestId: string;
}

/** A refusal before any quota is counted: a parameter the provider rejects, a request too large. */
export interface PreRefusal {
  outcome: 'bad_param' | 'unsupported' | 'request_too_large' | 'context_length' | 'tools_unsupported';
  response: SimResponse;
}

/** A limit that is counted but never refuses (GitHub's advertised 20,000 requests per minute). */
export interface AdvisoryLimit {
  window: 'requests_minute' | 'tokens_minute';
  limit: number;
}

export interface ProviderDialect {
  /** What one request costs in each metric (tokens as the provider counts them). */
  charge(ctx: ChatContext): QuotaCharge;
  /** Refusals that come before quota: rejected parameters, per-request token caps. */
  precheck?(ctx: ChatContext, quota: QuotaView[]): PreRefusal | undefined;
  /** Headers of a 200 (`ctx.stream` says whether it is a stream); `quota` is after counting this request. */
  successHeaders(ctx: ChatContext, quota: QuotaView[], advisory: QuotaView[]): Record<string, string>;
  /** The answer to a spent window; `quota` is the state that refused it. */
  rateLimited(ctx: ChatContext, refusal: QuotaRefusal, quota: QuotaView[]): SimResponse;
  /** Missing or unknown key. */
  unauthorized(providerId: string): SimResponse;
  /** Unparseable body, missing model or messages. */
  badRequest(message: string): SimResponse;
  /** A model the provider does not serve (`listed: true`: listed, but not for this account). */
  modelNotFound(modelId: string, listed: boolean, accountLabel: string): SimResponse;
  /** A listed model with no free quota (Gemini's "limit: 0"). */
  noFreeTier?(ctx: ChatContext): SimResponse;
  /** Prompt + completion above the model's context. */
  contextLength(ctx: ChatContext, requestedTokens: number): SimResponse;
  /** `tools` sent to a model without tool support. */
  toolsUnsupported(ctx: ChatContext): SimResponse;
  /** A scripted 5xx. */
  serverError(status: 500 | 502 | 503): SimResponse;
  /** The provider is busy: capacity, queue full, model loading — not this account's quota. */
  overloaded(ctx: ChatContext): SimResponse;
  /** The provider's 429 that says nothing about its window. */
  bareRateLimit(ctx: ChatContext): SimResponse;
  /** An error in the middle of a 200 stream, as complete SSE text. */
  streamError(ctx: ChatContext, message: string): string;
  /** The model list body, in the catalog's `models.shape`. */
  modelsBody(models: readonly SimProviderModel[], createdS: number): unknown;
  /** Where usage goes in a stream: a chunk of its own when `stream_options.include_usage` asks, or always in the final chunk (Mistral). */
  streamUsage: 'include_usage' | 'final_chunk';
  /** Fields added to every completion body and chunk (`x_groq`, `system_fingerprint`, …). */
  completionExtras?(ctx: ChatContext): Record<string, unknown>;
  /** Limits the provider advertises in headers but does not enforce. */
  advisoryLimits?: readonly AdvisoryLimit[];
}

const NO_HEADERS: Readonly<Record<string, string>> = {};

export function response(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: Object.keys(headers).length === 0 ? { ...NO_HEADERS } : headers, body };
}

/** `{"error":{message,type,param,code}}`, the OpenAI envelope (Groq, SambaNova, NVIDIA's vLLM, Ollama /v1). */
export function openAiError(
  status: number,
  message: string,
  fields: { type?: string; param?: string | null; code?: string | number | null } = {},
  extra: Record<string, unknown> = {},
): SimResponse {
  return response(status, { error: { message, ...fields }, ...extra });
}

/**
 * The OpenAI model list (`{"object":"list","data":[{id,object:"model",created,owned_by,…}]}`) most
 * providers answer `/models` with; `fields` adds a provider's own after the common four.
 */
export function openAiModelList(
  models: readonly SimProviderModel[],
  createdS: number,
  fields: (model: SimProviderModel) => Record<string, unknown> = () => ({}),
) {
  return {
    object: 'list',
    data: models.map((m) => ({
      id: m.id,
      object: 'model',
      created: createdS,
      owned_by: m.ownedBy,
      ...fields(m),
    })),
  };
}

/** The window of a refusal in words: `requests per minute`, `tokens per day`. */
export function windowWords(window: string): { metric: string; period: string } {
  const at = window.indexOf('_');
  const metric = at === -1 ? window : window.slice(0, at);
  const period = at === -1 ? '' : window.slice(at + 1).replace('10_seconds', '10 seconds');
  return { metric, period };
}

/** The view of one window, if the provider enforces it for this model. */
export function viewOf(quota: readonly QuotaView[], window: string): QuotaView | undefined {
  return quota.find((v) => v.window === window);
}

/** Estimated prompt + what the request asks for (`max_completion_tokens`, else `max_tokens`). */
export function requestedMaxTokens(request: ProviderChatRequest): number | undefined {
  const value = request['max_completion_tokens'] ?? request.max_tokens;
  return typeof value === 'number' && value > 0 ? Math.floor(value) : undefined;
}

/** Usage as most providers count it: prompt + completion, checked and counted alike. */
export function usageCharge(ctx: ChatContext): QuotaCharge {
  const total = ctx.promptTokens + ctx.completionTokens;
  return { tokensRequested: total, tokensCharged: total, neurons: 0, usage: total };
}

/** Whole units as a provider prints a count it keeps internally (rounded up, so the refusal adds up). */
export function countText(value: number): string {
  return String(Math.ceil(value - 1e-9));
}

/** Remaining as a header: whole units, never negative. */
export function remainingText(view: QuotaView): string {
  return String(Math.max(0, Math.floor(view.remaining + 1e-9)));
}
