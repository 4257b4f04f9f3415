import { describe, expect, it } from 'vitest';
import { planReload } from './config-reload.js';
import { parseGatewayConfig } from './gateway-config.js';

const base = parseGatewayConfig({ server: { apiKeys: ['k1'] } });

describe('planReload', () => {
  it('applies keys, timeouts, budgets, order and log level; the rest needs a restart', () => {
    const next = parseGatewayConfig({
      server: { apiKeys: ['k2'], port: 9999, cors: { origins: ['https://a.example'] } },
      rotation: { order: ['a/x:free'] },
      deadlineMs: 5000,
      timeouts: { idleMs: 1234 },
      log: { level: 'debug' },
      sim: { seed: 9 },
    });
    const plan = planReload(base, next);
    expect(plan.apply.sort()).toEqual(
      [
        'deadlineMs',
        'log.level',
        'rotation.order',
        'server.apiKeys',
        'server.cors.origins',
        'timeouts.idleMs',
      ].sort(),
    );
    expect(plan.restart.sort()).toEqual(['server.port', 'sim.seed']);
  });

  it('nothing changed is nothing to do; unpinning the order needs a restart', () => {
    expect(planReload(base, base)).toEqual({ apply: [], restart: [] });
    const pinned = parseGatewayConfig({ rotation: { order: ['a/x:free'] } });
    expect(planReload(pinned, base).restart).toContain('rotation.order');
  });
});
