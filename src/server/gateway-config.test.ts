import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_OPENROUTER_BASE_URL, loadGatewayConfig } from './gateway-config.js';

function tempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-config-'));
  const path = join(dir, 'rotor.yaml');
  writeFileSync(path, text);
  return path;
}

describe('gateway configuration', () => {
  it('has a sane default for everything: no file is a valid configuration', () => {
    const c = loadGatewayConfig({ env: {} });
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080, apiKeys: [], drainTimeoutMs: 10_000 });
    expect(c.upstream.baseUrl).toBe(DEFAULT_OPENROUTER_BASE_URL);
    expect(c.upstream.apiKey).toBeUndefined();
    expect(c.deadlineMs).toBe(120_000);
    expect(c.engine.maxConsecutiveFailures).toBe(3);
    expect(c.engine.circuitBreakerThreshold).toBe(5);
  });

  it('reads a YAML file and lets the environment override it', () => {
    const path = tempConfig('server:\n  port: 9000\n  host: 0.0.0.0\nrotation:\n  order: [a/x:free]\n');
    const c = loadGatewayConfig({
      path,
      env: {
        ROTOR_PORT: '9100',
        OPENROUTER_API_KEY: 'sk-live',
        OPENROUTER_BASE_URL: 'http://127.0.0.1:1/api/v1',
        ROTOR_ORDER: 'b/y:free, c/z:free',
        ROTOR_API_KEYS: 'k1,k2',
      },
    });
    expect(c.server.port).toBe(9100);
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.upstream.apiKey).toBe('sk-live');
    expect(c.upstream.baseUrl).toBe('http://127.0.0.1:1/api/v1');
    expect(c.rotation.order).toEqual(['b/y:free', 'c/z:free']);
    expect(c.server.apiKeys).toEqual(['k1', 'k2']);
  });

  it('errors name the file, the path and the bad value', () => {
    const path = tempConfig('server:\n  port: "eighty"\nengine:\n  circuitBreakerThreshold: 0\n');
    expect(() => loadGatewayConfig({ path, env: {} })).toThrowError(ConfigError);
    try {
      loadGatewayConfig({ path, env: {} });
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain(path);
      expect(message).toMatch(/server\.port: .*\(got "eighty"\)/);
      expect(message).toMatch(/engine\.circuitBreakerThreshold: .*\(got 0\)/);
    }
  });

  it('a misspelt key is an error, not silently ignored', () => {
    const path = tempConfig('server:\n  prot: 9000\n');
    expect(() => loadGatewayConfig({ path, env: {} })).toThrowError(/prot/);
  });

  it('never echoes a key in an error', () => {
    const path = tempConfig('server:\n  apiKeys: "sk-secret-value"\n');
    try {
      loadGatewayConfig({ path, env: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('sk-secret-value');
      expect((err as Error).message).toContain('server.apiKeys');
    }
  });

  it('a non-numeric ROTOR_PORT and an unreadable file are clear errors', () => {
    expect(() => loadGatewayConfig({ env: { ROTOR_PORT: 'abc' } })).toThrowError(
      /ROTOR_PORT must be a number/,
    );
    expect(() => loadGatewayConfig({ path: '/nonexistent/rotor.yaml', env: {} })).toThrowError(
      /Cannot read config file/,
    );
  });
});
