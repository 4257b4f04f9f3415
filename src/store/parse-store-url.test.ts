import { describe, expect, it } from 'vitest';
import { parseStoreUrl } from './parse-store-url.js';
import { StoreError } from './state-store.js';

describe('parseStoreUrl', () => {
  it('memory', () => {
    expect(parseStoreUrl('memory')).toEqual({ kind: 'memory', display: 'memory' });
  });

  it('sqlite with relative, absolute and triple-slash paths', () => {
    expect(parseStoreUrl('sqlite:./data/rotor.db')).toMatchObject({
      kind: 'sqlite',
      path: './data/rotor.db',
    });
    expect(parseStoreUrl('sqlite:/var/lib/rotor.db')).toMatchObject({ path: '/var/lib/rotor.db' });
    expect(parseStoreUrl('sqlite:///var/lib/rotor.db')).toMatchObject({ path: '/var/lib/rotor.db' });
  });

  it('redis with defaults, db, prefix and TLS', () => {
    expect(parseStoreUrl('redis://127.0.0.1:6379')).toEqual({
      kind: 'redis',
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      tls: false,
      prefix: 'rotor:',
      display: 'redis://127.0.0.1:6379/0',
    });
    expect(parseStoreUrl('redis://cache')).toMatchObject({ host: 'cache', port: 6379, db: 0 });
    expect(parseStoreUrl('rediss://cache:6380/3?prefix=team-a:rotor:')).toMatchObject({
      tls: true,
      port: 6380,
      db: 3,
      prefix: 'team-a:rotor:',
    });
  });

  it('keeps credentials out of the display form', () => {
    const url = parseStoreUrl('redis://app:s3cret@cache:6379/1');
    expect(url).toMatchObject({ username: 'app', password: 's3cret' });
    expect(url.display).toBe('redis://app:***@cache:6379/1');
    expect(JSON.stringify(url.display)).not.toContain('s3cret');
  });

  it.each([
    ['', /expected "memory"/],
    ['postgres://x', /expected "memory", "sqlite:PATH" or "redis:\/\/HOST:PORT\[\/DB\]"/],
    ['sqlite:', /needs a file path/],
    ['redis://cache:6379/zero', /database must be a number/],
    ['redis://cache:6379?db=1', /unknown option "db"/],
  ])('rejects %j with a clear message', (input, message) => {
    expect(() => parseStoreUrl(input)).toThrowError(StoreError);
    expect(() => parseStoreUrl(input)).toThrowError(message);
  });

  it('never echoes a password in an error', () => {
    expect(() => parseStoreUrl('redis://:hunter2@cache:6379/x')).toThrowError(/redis:\/\/:\*\*\*@cache/);
    try {
      parseStoreUrl('redis://:hunter2@cache:6379/x');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});
