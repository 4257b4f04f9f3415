import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { classifyNetworkError } from './classify-network-error.js';

function sysError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

describe('classifyNetworkError', () => {
  it('connect timeout → timeout/connect', () => {
    expect(classifyNetworkError(new errors.ConnectTimeoutError())).toMatchObject({
      kind: 'timeout',
      phase: 'connect',
    });
  });

  it('refused, reset, DNS and socket errors → network', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EPIPE']) {
      expect(classifyNetworkError(sysError(code)).kind).toBe('network');
    }
    expect(classifyNetworkError(new errors.SocketError('other side closed')).kind).toBe('network');
  });

  it('prefers the system code wrapped in an undici error', () => {
    const wrapped = Object.assign(new errors.SocketError('closed'), { cause: sysError('ECONNRESET') });
    expect(classifyNetworkError(wrapped).message).toMatch(/ECONNRESET/);
  });

  it("undici's backstop timeouts keep their phase", () => {
    expect(classifyNetworkError(new errors.HeadersTimeoutError())).toMatchObject({ phase: 'first_token' });
    expect(classifyNetworkError(new errors.BodyTimeoutError())).toMatchObject({ phase: 'idle' });
  });

  it('a malformed HTTP answer → server_error; anything unknown → network', () => {
    expect(
      classifyNetworkError(Object.assign(new Error('bad'), { code: 'HPE_INVALID_CHUNK_SIZE' })).kind,
    ).toBe('server_error');
    expect(classifyNetworkError(new Error('???')).kind).toBe('network');
    expect(classifyNetworkError('string thrown').kind).toBe('network');
  });
});
