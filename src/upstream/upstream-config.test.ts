import { describe, expect, it } from 'vitest';
import { upstreamHeaders } from './upstream-config.js';

describe('upstreamHeaders', () => {
  it('sends the key as a bearer token and the attribution headers when configured', () => {
    expect(
      upstreamHeaders({
        id: 'or',
        baseUrl: 'https://x/api/v1',
        apiKey: 'k',
        referer: 'https://me',
        title: 'Me',
      }),
    ).toEqual({ authorization: 'Bearer k', 'http-referer': 'https://me', 'x-title': 'Me' });
  });

  it('sends nothing optional when not configured', () => {
    expect(upstreamHeaders({ id: 'local', baseUrl: 'http://127.0.0.1:1/v1' })).toEqual({});
  });

  it('lower-cases configured headers so ours cannot be duplicated', () => {
    expect(
      upstreamHeaders({
        id: 'or',
        baseUrl: 'https://x',
        apiKey: 'k',
        headers: { Authorization: 'x', 'X-Foo': '1' },
      }),
    ).toEqual({
      authorization: 'Bearer k',
      'x-foo': '1',
    });
  });
});
