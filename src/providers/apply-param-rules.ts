/**
 * Request parameters a provider rejects, stripped or translated before sending instead of failing
 * (Mistral's 422 on `stream_options` / `max_completion_tokens`, NVIDIA's `"auto"` tool choice,
 * Groq's `logprobs`, Cloudflare's content arrays, Mistral's tool-call id format). The rules are
 * the catalog's `params`. Pure: the body is copied, never changed in place.
 */
import type { ParamRule } from './provider-catalog-schema.js';

export type ChatBody = Record<string, unknown>;

/** What was changed, for logs and the attempt record. */
export interface ParamChange {
  /** The rule's parameter path, e.g. `messages[].name`. */
  param: string;
  action: 'dropped' | 'renamed' | 'flattened' | 'rewritten';
  detail?: string;
}

export interface ParamRulesResult {
  body: ChatBody;
  changes: ParamChange[];
}

export function applyParamRules(rules: readonly ParamRule[], body: ChatBody): ParamRulesResult {
  const out = structuredClone(body);
  const changes: ParamChange[] = [];
  for (const rule of rules) {
    switch (rule.action) {
      case 'drop': {
        let dropped = 0;
        forEachParent(out, rule.param, (parent, key) => {
          if (!(key in parent)) return;
          if (rule.when !== undefined && parent[key] !== rule.when) return;
          delete parent[key];
          dropped++;
        });
        if (dropped > 0) changes.push({ param: rule.param, action: 'dropped' });
        break;
      }
      case 'rename': {
        forEachParent(out, rule.param, (parent, key) => {
          if (!(key in parent)) return;
          if (rule.to in parent) {
            delete parent[key];
            changes.push({ param: rule.param, action: 'dropped', detail: `${rule.to} was also given` });
            return;
          }
          parent[rule.to] = parent[key];
          delete parent[key];
          changes.push({ param: rule.param, action: 'renamed', detail: `sent as ${rule.to}` });
        });
        break;
      }
      case 'flatten_content':
        if (flattenContent(out)) changes.push({ param: 'messages[].content', action: 'flattened' });
        break;
      case 'tool_call_ids_alnum9': {
        const count = rewriteToolCallIds(out);
        if (count > 0) changes.push({ param: 'tool_call_id', action: 'rewritten', detail: `${count} id(s)` });
        break;
      }
    }
  }
  return { body: out, changes };
}

/**
 * Calls `visit(parent, key)` for every object that would hold the path's last segment.
 * `messages[].name` visits each message with key `name`; `a.b` visits `body.a` with key `b`.
 */
function forEachParent(
  root: ChatBody,
  path: string,
  visit: (parent: Record<string, unknown>, key: string) => void,
): void {
  const segments = path.split('.');
  const last = segments.pop()!;
  let parents: Record<string, unknown>[] = [root];
  for (const segment of segments) {
    const many = segment.endsWith('[]');
    const key = many ? segment.slice(0, -2) : segment;
    const next: Record<string, unknown>[] = [];
    for (const parent of parents) {
      const value = parent[key];
      if (many && Array.isArray(value)) next.push(...value.filter(isRecord));
      else if (!many && isRecord(value)) next.push(value);
    }
    parents = next;
  }
  for (const parent of parents) visit(parent, last);
}

/** Text-part arrays and null become one string; a message with an image part is left alone. */
function flattenContent(body: ChatBody): boolean {
  let changed = false;
  const messages = Array.isArray(body['messages']) ? body['messages'].filter(isRecord) : [];
  for (const message of messages) {
    const content = message['content'];
    if (content === null) {
      message['content'] = '';
      changed = true;
    } else if (Array.isArray(content) && content.every((p) => isRecord(p) && p['type'] === 'text')) {
      message['content'] = content
        .map((p) => String((p as Record<string, unknown>)['text'] ?? ''))
        .join('\n');
      changed = true;
    }
  }
  return changed;
}

const ALNUM9 = /^[a-zA-Z0-9]{9}$/;
const BASE62 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Rewrites ids that are not 9 letters/digits, the same way in the call and in its tool result. */
function rewriteToolCallIds(body: ChatBody): number {
  const messages = Array.isArray(body['messages']) ? body['messages'].filter(isRecord) : [];
  const mapping = new Map<string, string>();
  const used = new Set<string>();
  const mapId = (id: string): string => {
    if (ALNUM9.test(id)) return id;
    let mapped = mapping.get(id);
    if (mapped === undefined) {
      for (let salt = 0; mapped === undefined || used.has(mapped); salt++) mapped = alnum9(`${id}#${salt}`);
      mapping.set(id, mapped);
      used.add(mapped);
    }
    return mapped;
  };
  for (const message of messages) {
    if (Array.isArray(message['tool_calls'])) {
      for (const call of message['tool_calls']) {
        if (isRecord(call) && typeof call['id'] === 'string') used.add(call['id']);
      }
    }
  }
  for (const message of messages) {
    if (Array.isArray(message['tool_calls'])) {
      for (const call of message['tool_calls']) {
        if (isRecord(call) && typeof call['id'] === 'string') call['id'] = mapId(call['id']);
      }
    }
    if (typeof message['tool_call_id'] === 'string') message['tool_call_id'] = mapId(message['tool_call_id']);
  }
  return mapping.size;
}

/** 9 base-62 characters from two 32-bit FNV-1a hashes: deterministic, so retries send the same ids. */
function alnum9(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x811c9dc5) >>> 0;
  }
  let n = BigInt(a) * 4294967296n + BigInt(b);
  let out = '';
  for (let i = 0; i < 9; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
