#!/usr/bin/env node
// Container health check without curl or wget in the image:
//   node scripts/healthcheck.mjs <PORT_VARIABLE> <default port> <path>
// e.g. `node scripts/healthcheck.mjs PDP_PORT 8181 /readyz`. Exit 0 when the service answers
// 2xx on loopback within 3 s, else 1 (what Docker and Compose expect).
const [variable, fallback, path = '/healthz'] = process.argv.slice(2);
if (!variable || !fallback || !path.startsWith('/')) {
  process.stderr.write('usage: healthcheck.mjs <PORT_VARIABLE> <default port> </path>\n');
  process.exit(2);
}
const port = process.env[variable] || fallback;
const url = `http://127.0.0.1:${port}${path}`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'manual' });
  await response.body?.cancel();
  if (!response.ok) {
    process.stderr.write(`${url} answered ${response.status}\n`);
    process.exit(1);
  }
} catch (error) {
  process.stderr.write(`${url} did not answer: ${error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.message}\n`);
  process.exit(1);
}
