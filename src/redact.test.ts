import { describe, expect, it } from 'vitest';
import { clip, maskSecret, redact, redactJson, registerSecret } from './redact.js';

const KEY = 'sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abEF12';

describe('redact', () => {
  it('shows an OpenRouter key at most as its prefix and last four characters', () => {
    expect(maskSecret(KEY)).toBe('sk-or-v1-…EF12');
    expect(redact(`key ${KEY} failed`)).toBe('key sk-or-v1-…EF12 failed');
  });

  it('masks bearer tokens in any case, URL passwords, secret-named fields and ?key=', () => {
    expect(redact('Authorization: bearer abcdefghijklmnopqrstuvwxyz')).toBe('Authorization: bearer …wxyz');
    expect(redact('redis://user:hunter2pass@10.0.0.1:6379/0')).toBe('redis://user:***@10.0.0.1:6379/0');
    expect(redact('upstream:\n  apiKey: plainsecretvalue1234\n')).toBe('upstream:\n  apiKey: …1234\n');
    expect(redact('{"titel":"r","apiKey":"short1"}')).toBe('{"titel":"r","apiKey":"***"}');
    expect(redact('GET /v1/rotor/events?key=client-key-1')).toBe('GET /v1/rotor/events?key=***');
  });

  it('masks OpenRouter user ids but leaves ordinary words alone', () => {
    expect(redact('for user_35tI40u3gKTMEMGS061Ov1xsUTj and user_message')).toBe(
      'for user_… and user_message',
    );
    expect(redact('max_tokens: 100, tokens: 5, model: a/b:free')).toBe(
      'max_tokens: 100, tokens: 5, model: a/b:free',
    );
  });

  it('masks every registered literal, whatever its shape', () => {
    registerSecret('zebra-horse-battery-staple');
    expect(redact('got zebra-horse-battery-staple here')).toBe('got …aple here');
    expect(redact('literal plainkey42 too', ['plainkey42'])).toBe('literal *** too');
  });

  it('redacts inside JSON values and clips long values', () => {
    expect(redactJson({ detail: `refused ${KEY}`, n: 1 })).toEqual({
      detail: 'refused sk-or-v1-…EF12',
      n: 1,
    });
    expect(clip('x'.repeat(300), 10)).toBe('xxxxxxxxxx… (290 more characters)');
    expect(clip('short', 10)).toBe('short');
  });
});
