import { describe, expect, it } from 'vitest';
import { serviceVerdict } from './required-service.js';

describe('tests that need Redis or Chromium', () => {
  it('run when the service is there, CI or not', () => {
    expect(serviceVerdict(undefined, {})).toBe('run');
    expect(serviceVerdict(undefined, { CI: 'true' })).toBe('run');
  });

  it('fail under CI when it is missing, and skip only outside CI', () => {
    expect(serviceVerdict('no Redis', { CI: 'true' })).toBe('fail');
    expect(serviceVerdict('no Redis', { CI: '1' })).toBe('fail');
    expect(serviceVerdict('no Redis', {})).toBe('skip');
    expect(serviceVerdict('no Redis', { CI: '' })).toBe('skip');
    expect(serviceVerdict('no Redis', { CI: 'false' })).toBe('skip');
  });
});
