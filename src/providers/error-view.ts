/**
 * Every provider wraps its errors differently (PROVIDERS.md §0.1.4): OpenAI's `{"error":{…}}`
 * (Groq, GitHub, SambaNova, llama.cpp), a flat `{message,type,param,code}` (Cerebras, Mistral),
 * Google's `{"error":{code,message,status,details}}` inside a JSON ARRAY on the OpenAI endpoint,
 * `@google/genai`'s wrapper whose `message` is the JSON of the real error, RFC 7807
 * `{status,title,detail}` (NVIDIA), Cloudflare's `{success:false,errors:[{code,message}]}`,
 * pydantic's `{detail:[{type,loc,msg}]}` (Mistral 422), Ollama's `{"error":"text"}`, a bare
 * message string, and an `error:` SSE line in a 200 (old llama.cpp). This reads them all into one
 * view the classification rules can match.
 */

export interface ErrorView {
  /** The main human-readable message. */
  message: string;
  /** Error codes found, as text: `code`, Cloudflare `errors[].code`, Google `status`. */
  codes: string[];
  type: string | undefined;
  param: string | undefined;
  /** Gemini `QuotaFailure.violations[].quotaId`. */
  quotaIds: string[];
  /** Gemini `RetryInfo.retryDelay` (`"22s"`), as written. */
  retryDelay: string | undefined;
  /** Request fields the body says were rejected (pydantic `loc`, Gemini "Unknown name"). */
  rejectedParams: string[];
  /** OpenRouter copies response headers into `error.metadata.headers`. */
  metaHeaders: Record<string, unknown> | undefined;
  /**
   * An HTTP status the body itself states (`status_code` in Groq's in-stream errors, a numeric
   * `code` such as 429, RFC 7807 `status`), for errors that arrive inside a 200.
   */
  bodyStatus: number | undefined;
  /** Everything rules match `text` against: message, details, type, codes. */
  text: string;
}

export function readErrorView(bodyText: string): ErrorView {
  const view: ErrorView = {
    message: '',
    codes: [],
    type: undefined,
    param: undefined,
    quotaIds: [],
    retryDelay: undefined,
    rejectedParams: [],
    metaHeaders: undefined,
    bodyStatus: undefined,
    text: '',
  };
  const texts: string[] = [];
  const parsed = parseBody(bodyText);
  if (parsed === undefined) {
    view.message = bodyText.trim();
    texts.push(view.message);
  } else {
    readValue(parsed, view, texts, 0);
  }
  for (const re of [/Unknown name "([^"]+)"/g]) {
    for (const m of texts.join('\n').matchAll(re)) addParam(view, m[1]!);
  }
  view.text = [...texts, view.type ?? '', ...view.codes].filter((t) => t !== '').join('\n');
  return view;
}

/** JSON, else the first JSON object on a `data:`/`error:` SSE line, else undefined (plain text). */
function parseBody(bodyText: string): unknown {
  const trimmed = bodyText.trim();
  if (trimmed === '') return undefined;
  const json = tryJson(trimmed);
  if (json !== undefined) return json;
  for (const line of trimmed.split('\n')) {
    const m = /^(?:data|error):\s*(\{.*\})\s*$/.exec(line);
    if (!m) continue;
    const inner = tryJson(m[1]!);
    if (isRecord(inner)) return 'error' in inner ? inner : { error: inner };
  }
  return undefined;
}

function readValue(value: unknown, view: ErrorView, texts: string[], depth: number): void {
  if (depth > 4) return;
  if (typeof value === 'string') {
    setMessage(view, texts, value);
    return;
  }
  if (Array.isArray(value)) {
    // Gemini's OpenAI endpoint: `[{"error":{…}}]`.
    if (value.length > 0) readValue(value[0], view, texts, depth + 1);
    return;
  }
  if (!isRecord(value)) return;
  const err = value['error'];
  if (typeof err === 'string') {
    setMessage(view, texts, err);
  } else if (isRecord(err)) {
    readObject(err, view, texts, depth);
  } else if (Array.isArray(value['errors'])) {
    // Cloudflare v4 envelope.
    for (const e of value['errors']) {
      if (!isRecord(e)) continue;
      addCode(view, e['code']);
      if (typeof e['message'] === 'string') setMessage(view, texts, e['message']);
    }
  } else {
    readObject(value, view, texts, depth);
  }
}

/** An error object: OpenAI/flat/Google/RFC 7807/pydantic fields, whichever are present. */
function readObject(err: Record<string, unknown>, view: ErrorView, texts: string[], depth: number): void {
  const message = err['message'];
  if (typeof message === 'string') {
    // `@google/genai` streaming wraps the real error as JSON text in `message`.
    const inner = message.trimStart().startsWith('{') ? tryJson(message) : undefined;
    if (isRecord(inner) && isRecord(inner['error'])) {
      readObject(inner['error'], view, texts, depth + 1);
      return;
    }
    setMessage(view, texts, message);
  } else if (isRecord(message)) {
    readPydantic(message['detail'], view, texts); // Mistral 422: message: {detail: […]}
  }
  const detail = err['detail'];
  if (typeof detail === 'string') setMessage(view, texts, detail);
  else readPydantic(detail, view, texts);
  if (typeof err['title'] === 'string') setMessage(view, texts, err['title']);
  if (typeof err['details'] === 'string' && err['details'] !== view.message) texts.push(err['details']);
  addCode(view, err['code']);
  if (typeof err['status'] === 'string') addCode(view, err['status']);
  for (const field of ['status_code', 'status', 'code']) {
    const n = err[field];
    if (view.bodyStatus === undefined && typeof n === 'number' && n >= 400 && n <= 599) view.bodyStatus = n;
  }
  if (typeof err['type'] === 'string' && view.type === undefined) view.type = err['type'];
  if (typeof err['param'] === 'string' && view.param === undefined) view.param = err['param'];
  const meta = err['metadata'];
  if (isRecord(meta)) {
    if (typeof meta['raw'] === 'string') texts.push(meta['raw']);
    if (isRecord(meta['headers'])) view.metaHeaders = meta['headers'];
  }
  if (Array.isArray(err['details'])) readGoogleDetails(err['details'], view, texts);
}

function readGoogleDetails(details: unknown[], view: ErrorView, texts: string[]): void {
  for (const d of details) {
    if (!isRecord(d)) continue;
    if (Array.isArray(d['violations'])) {
      for (const v of d['violations']) {
        if (isRecord(v) && typeof v['quotaId'] === 'string') view.quotaIds.push(v['quotaId']);
      }
    }
    if (typeof d['retryDelay'] === 'string') view.retryDelay = d['retryDelay'];
    if (typeof d['reason'] === 'string') texts.push(d['reason']);
  }
}

/** pydantic validation details: `[{type:"extra_forbidden", loc:["body","stream_options",…], msg}]`. */
function readPydantic(detail: unknown, view: ErrorView, texts: string[]): void {
  if (!Array.isArray(detail)) return;
  for (const d of detail) {
    if (!isRecord(d)) continue;
    const loc = Array.isArray(d['loc']) ? d['loc'].filter((x) => typeof x === 'string') : [];
    const field = loc[0] === 'body' ? loc[1] : loc[0];
    if (typeof d['type'] === 'string') texts.push(d['type']);
    if (typeof d['msg'] === 'string')
      setMessage(view, texts, `${field ?? ''}: ${d['msg']}`.replace(/^: /, ''));
    if (d['type'] === 'extra_forbidden' && field) addParam(view, field);
  }
}

function setMessage(view: ErrorView, texts: string[], message: string): void {
  if (view.message === '') view.message = message;
  texts.push(message);
}

function addCode(view: ErrorView, code: unknown): void {
  if ((typeof code === 'string' && code !== '') || typeof code === 'number') {
    const text = String(code);
    if (!view.codes.includes(text)) view.codes.push(text);
  }
}

function addParam(view: ErrorView, param: string): void {
  if (!view.rejectedParams.includes(param)) view.rejectedParams.push(param);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
