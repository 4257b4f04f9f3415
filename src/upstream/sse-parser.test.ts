import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from './sse-parser.js';

const enc = new TextEncoder();

function parseAll(parts: (Uint8Array | string)[]): SseEvent[] {
  const p = new SseParser();
  const events: SseEvent[] = [];
  for (const part of parts) events.push(...p.push(part));
  events.push(...p.end());
  return events;
}

function splitBytes(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const data = (d: string, event?: string, id?: string): SseEvent => ({ type: 'data', data: d, event, id });

describe('SseParser', () => {
  it('parses data events, keep-alive comments and [DONE]', () => {
    const stream = ': OPENROUTER PROCESSING\n\ndata: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    expect(parseAll([stream])).toEqual([
      { type: 'keepalive', comment: 'OPENROUTER PROCESSING' },
      data('{"a":1}'),
      data('{"b":2}'),
      { type: 'done' },
    ]);
  });

  it('handles CRLF and lone CR line ends, including a CRLF split across chunks', () => {
    expect(parseAll(['data: x\r\n\r\ndata: y\r\rdata: z\r', '\n\r', '\n'])).toEqual([
      data('x'),
      data('y'),
      data('z'),
    ]);
  });

  it('joins multi-line data with \\n and keeps event and id fields', () => {
    expect(parseAll(['event: message\nid: 7\ndata: line1\ndata:line2\ndata\n\n'])).toEqual([
      data('line1\nline2\n', 'message', '7'),
    ]);
  });

  it('reports a comment at once, even in the middle of an event', () => {
    const p = new SseParser();
    expect([...p.push('data: a\n')]).toEqual([]);
    expect([...p.push(': ka\n')]).toEqual([{ type: 'keepalive', comment: 'ka' }]);
    expect([...p.push('data: b\n\n')]).toEqual([data('a\nb')]);
  });

  it('ignores events with no data, retry fields and unknown fields', () => {
    expect(parseAll(['retry: 100\nfoo: bar\n\nevent: x\n\ndata:\n\n'])).toEqual([]);
  });

  it('decodes a UTF-8 character split between chunks', () => {
    const bytes = enc.encode('data: héllo 🎉\n\n');
    const parts = [bytes.subarray(0, 8), bytes.subarray(8, 16), bytes.subarray(16)];
    expect(parseAll(parts)).toEqual([data('héllo 🎉')]);
  });

  it('dispatches a last event not followed by a blank line at end of input', () => {
    expect(parseAll(['data: a\n\ndata: [DONE]\n'])).toEqual([data('a'), { type: 'done' }]);
    expect(parseAll(['data: [DONE]'])).toEqual([{ type: 'done' }]);
  });

  const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
  const text = fc.string({ unit: fc.constantFrom('a', 'é', '🎉', ' ', ':', '{', '"', 'x', '[', ']') });
  const block = fc.oneof(
    fc.record({ kind: fc.constant('data' as const), lines: fc.array(text, { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('comment' as const), lines: fc.tuple(text) }),
  );

  function serialise(blocks: { kind: 'data' | 'comment'; lines: string[] }[], nl: string): string {
    let s = '';
    for (const b of blocks) {
      if (b.kind === 'comment') s += `:${b.lines[0]}${nl}`;
      else s += `${b.lines.map((l) => `data: ${l}${nl}`).join('')}${nl}`;
    }
    return s;
  }

  it('property: any split of a valid stream parses identically to the whole', () => {
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 8 }),
        lineEnd,
        fc.array(fc.nat(), { maxLength: 12 }),
        (blocks, nl, cuts) => {
          const bytes = enc.encode(serialise(blocks, nl));
          expect(parseAll(splitBytes(bytes, cuts))).toEqual(parseAll([bytes]));
        },
      ),
    );
  });

  it('property: parsed events are exactly the events written', () => {
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 8 }),
        lineEnd,
        fc.array(fc.nat(), { maxLength: 12 }),
        (blocks, nl, cuts) => {
          const expected: SseEvent[] = [];
          for (const b of blocks) {
            if (b.kind === 'comment') {
              const c = b.lines[0]!;
              expected.push({ type: 'keepalive', comment: c.startsWith(' ') ? c.slice(1) : c });
            } else {
              // The parser strips one space after "data:"; the serialiser added exactly one.
              const joined = b.lines.join('\n');
              if (joined === '') continue;
              expected.push(joined === '[DONE]' ? { type: 'done' } : data(joined));
            }
          }
          const bytes = enc.encode(serialise(blocks, nl));
          expect(parseAll(splitBytes(bytes, cuts))).toEqual(expected);
        },
      ),
    );
  });
});
