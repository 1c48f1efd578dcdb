// A PDP server for bench/http.mjs's side-by-side figures: `pdp serve`'s parts (dist/) composed as
// runtime/server.ts composes them, from the same environment, with one part swapped:
//   node bench/http-variant.mjs PORT pino|direct|small prom|plain table|koa
//   pino   - every decision line through pino's own serialisation (a child logger), which the
//            service uses only when a PDP_LOG_REDACT path could censor the line
//   direct - the decision log as shipped without PDP_LOG_REDACT: each line built by
//            observability/log.ts, the same bytes, to the same sonic-boom destination
//   small  - the same lines to a sonic-boom destination that writes once 4 KiB are pending, in
//            writes of at most 8 KiB (the shipped one: 16 KiB and 32 KiB)
//   prom   - prom-client's latency histogram as shipped (the decision counters are plain numbers
//            handed to prom-client when it is read, in both)
//   plain  - the latency histogram as plain numbers in an array (what prom-client's share costs)
//   table  - requests served as shipped: the app's direct table for the decision routes, Koa for the rest
//   koa    - every request through Koa (app.callback()), the decision routes too
// Every variant is built the same way, so they compare with each other; `pdp serve` itself is the
// bench's `decide` target.
import { createServer } from 'node:http';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { loadConfig } = await import(dist('runtime/config.js'));
const { createApp } = await import(dist('server/app.js'));
const { createDecisionLog, createLogger } = await import(dist('observability/log.js'));
const { createMetrics } = await import(dist('observability/metrics.js'));
const { loadInProcess } = await import(dist('store/loaders.js'));
const { PolicyStore } = await import(dist('store/policy-store.js'));

const [port, logKind, metricsKind, serveKind] = process.argv.slice(2);
const config = loadConfig({ env: process.env, flags: { policies: process.env.PDP_POLICIES } });
const { pino } = await import('pino');
const smallWrites = () => pino.destination({ fd: 1, sync: false, minLength: 4096, maxWrite: 8192, periodicFlush: 25, maxLength: config.logMaxBufferBytes });
const own = createLogger({ level: config.logLevel, redact: config.logRedact, maxBufferBytes: config.logMaxBufferBytes, ...(logKind === 'small' ? { destination: smallWrites() } : {}) });
const logger = own.logger;

/** Every decision line through pino's own serialisation (a child logger), as before lines were built by hand. */
function pinoDecisionLog() {
  const child = logger.child({ kind: 'decision' });
  return { enabled: true, input: config.decisionLogInput, write: (e) => child.info(e, 'decision') };
}

/** The latency histogram as plain numbers: what prom-client's share of a decision costs. */
function plainMetrics(metrics) {
  const bounds = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5];
  const counts = new Float64Array(bounds.length + 1);
  let sum = 0;
  const histogram = {
    observe(v) {
      let i = 0;
      while (i < bounds.length && v > bounds[i]) i++;
      counts[i]++;
      sum += v;
    },
  };
  return { ...metrics, decisionSeconds: histogram };
}

const baseMetrics = createMetrics();
const metrics = metricsKind === 'plain' ? plainMetrics(baseMetrics) : baseMetrics;
const store = new PolicyStore({ dir: config.policiesDir, load: loadInProcess, logger, metrics, watch: false, debounceMs: 100 });
await store.start();
const decisionLog = logKind === 'pino' ? pinoDecisionLog() : createDecisionLog({ logger, enabled: config.decisionLog, input: config.decisionLogInput });
const { app, handler } = createApp({ config, store, logger, decisionLog, metrics, tokens: undefined });
const server = createServer(serveKind === 'koa' ? app.callback() : handler);
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1');
