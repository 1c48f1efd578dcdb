/** The level names pino accepts (its levels plus `silent`); test/log-levels.test.ts checks them against pino. */
export const LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);

export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(name: string): name is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(name);
}
