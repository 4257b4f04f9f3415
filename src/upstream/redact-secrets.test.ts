import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact-secrets.js';

describe('redactSecrets', () => {
  it('removes sk- keys, bearer tokens and OpenRouter user ids', () => {
    const out = redactSecrets(
      'key sk-or-v1-abcdef0123456789 header Bearer abc.def-123 for user_35tI40u3gKTMEMGS061Ov1xsUTj',
    );
    expect(out).toBe('key [redacted] header [redacted] for [redacted]');
  });

  it('removes known literal secrets and leaves ordinary words alone', () => {
    expect(redactSecrets('the key plainkey42 failed for user_message', ['plainkey42'])).toBe(
      'the key [redacted] failed for user_message',
    );
  });
});
