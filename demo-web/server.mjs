#!/usr/bin/env node
// @ts-check
// Serves demo-web's production build and proxies /api/* to demo-api (see server/).
import { loadConfig } from './server/config.mjs';
import { startWebServer } from './server/web-server.mjs';

const config = loadConfig(process.env);
const web = await startWebServer(config);
console.log(
  JSON.stringify({ level: 30, time: Date.now(), name: 'demo-web', msg: 'demo-web listening', url: web.url, api: config.apiUrl.origin }),
);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    void web.close().then(() => process.exit(0));
  });
}
