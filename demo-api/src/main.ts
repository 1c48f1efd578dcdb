import { pino } from 'pino';

import { apiConfigFromEnv } from './config.js';
import { ConfigError } from './errors.js';
import { startApi } from './server.js';

try {
  // The demo seeds its documents before it listens, and a database it cannot open stops it here.
  const api = await startApi(apiConfigFromEnv(process.env), { documentsAtStart: true }).catch((err: unknown) => {
    throw (err as Error).cause ?? err;
  });
  const stop = (): void => {
    api.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  const logger = pino({ name: 'demo-api' });
  if (err instanceof ConfigError) logger.fatal({ code: err.code, problems: err.problems }, err.message);
  else logger.fatal({ err }, 'demo-api failed to start');
  process.exit(1);
}
