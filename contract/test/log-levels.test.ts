import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { isLogLevel, LOG_LEVELS } from '../src/log-levels.js';

describe('LOG_LEVELS', () => {
  it('are exactly the levels pino knows, plus silent', () => {
    expect([...LOG_LEVELS].sort()).toEqual([...Object.keys(pino.levels.values), 'silent'].sort());
  });

  it('each one starts a pino logger', () => {
    for (const level of LOG_LEVELS) expect(pino({ level }).level).toBe(level);
  });

  it('isLogLevel refuses anything else', () => {
    expect(isLogLevel('info')).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
    expect(isLogLevel('INFO')).toBe(false);
  });
});
