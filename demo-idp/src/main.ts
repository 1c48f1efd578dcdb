import { pino } from 'pino';

import { idpConfigFromEnv } from './config.js';
import { IdpError } from './errors.js';
import { startIdp } from './server.js';

try {
  const idp = await startIdp(idpConfigFromEnv(process.env));
  const stop = (): void => {
    idp.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  const logger = pino({ name: 'demo-idp' });
  if (err instanceof IdpError) logger.fatal({ code: err.code }, err.message);
  else logger.fatal({ err }, 'demo-idp failed to start');
  process.exit(1);
}
