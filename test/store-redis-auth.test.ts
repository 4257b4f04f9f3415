/**
 * Redis credentials: a wrong password is an authentication error said plainly (and `rotor serve`
 * refuses to start on it), never "unreachable"; a normal start logs no outage at all.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../src/store/redis-coordinator.js';
import { StoreError } from '../src/store/state-store.js';
import { serveFailure } from './serve-process.js';
import { freePort, PrivateRedis, redisUnavailable } from './store-helpers.js';

const skipReason = redisUnavailable();
if (skipReason) console.warn(skipReason);
const PASSWORD = 'right-password-4d5e6f';

function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe.skipIf(skipReason !== undefined)('Redis authentication', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = new PrivateRedis(await freePort(), ['--requirepass', PASSWORD]);
    await redis.start();
  });
  afterAll(() => redis?.stop());

  const address = (password: string) => ({
    host: '127.0.0.1',
    port: redis.port,
    db: 0,
    tls: false,
    prefix: 'rotor:auth-test:',
    password,
  });

  it('a wrong password is a StoreError that says authentication failed, without the password', async () => {
    const { logger, lines } = capturedLogger();
    const attempt = RedisCoordinator.connect({
      address: address('wrong-password-1a2b3c'),
      display: `redis://:***@127.0.0.1:${redis.port}/0`,
      logger,
    });
    await expect(attempt).rejects.toThrowError(StoreError);
    await expect(attempt).rejects.toThrowError(/refused rotor's credentials.*authentication failed/);
    await attempt.catch((err: Error) => expect(err.message).not.toContain('wrong-password-1a2b3c'));
    expect(lines.join('')).not.toMatch(/unreachable/);
  });

  it('the right password connects, and a normal start logs no "unreachable" warning', async () => {
    const { logger, lines } = capturedLogger();
    const c = await RedisCoordinator.connect({ address: address(PASSWORD), logger });
    try {
      expect(c.connected).toBe(true);
      await new Promise((r) => setTimeout(r, 100)); // the second connection's events, if any, come now
      expect(lines.join('')).not.toMatch(/unreachable/);
    } finally {
      await c.close();
    }
  });

  it('rotor serve with a wrong password exits 2 with one plain line', async () => {
    const { code, stderr } = await serveFailure({
      ROTOR_STORE: `redis://:wrong-password-1a2b3c@127.0.0.1:${redis.port}/0`,
    });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/authentication failed; check the user and password/);
    expect(stderr).not.toContain('wrong-password-1a2b3c');
  });
});
