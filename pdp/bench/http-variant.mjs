// A PDP server for bench/http.mjs's side-by-side figures: `pdp serve`'s parts (dist/) composed as
// runtime/server.ts composes them, from the same environment, with one part swapped:
//   node bench/http-variant.mjs PORT pino|direct prom|plain
//   pino   - the decision log as shipped (a pino child logger, redaction included)
//   direct - each decision line built by hand, the same fields, written to the same sonic-boom
//            destination (no redaction: what pino's share of a decision costs, not a replacement)
//   prom   - prom-client's counters and histogram as shipped
//   plain  - the decision counters and latency histogram as plain numbers in arrays
// Every variant is built the same way, so they compare with each other; `pdp serve` itself is the
// bench's `decide` target.
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { loadConfig } = await import(dist('runtime/config.js'));
const { createApp } = await import(dist('server/app.js'));
const { createDecisionLog, createLogger } = await import(dist('observability/log.js'));
const { createMetrics } = await import(dist('observability/metrics.js'));
const { loadInProcess } = await import(dist('store/loaders.js'));
const { PolicyStore } = await import(dist('store/policy-store.js'));
const { reasonsToJson } = await import(dist('server/wire.js'));

const [port, logKind, metricsKind] = process.argv.slice(2);
const config = loadConfig({ env: process.env, flags: { policies: process.env.PDP_POLICIES } });
const own = createLogger({ level: config.logLevel, redact: config.logRedact, maxBufferBytes: config.logMaxBufferBytes });
const logger = own.logger;

/** The decision line pino writes, built by hand: same fields, same order, same destination. */
function directDecisionLog(destination) {
  const head = `{"level":30,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":"pdp","kind":"decision"`;
  const opt = (name, value) => (value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`);
  return {
    enabled: true,
    input: config.decisionLogInput,
    write(e) {
      destination.write(
        `${head},"time":${Date.now()},"decisionId":"${e.decisionId}","revision":"${e.revision}"${opt('subject', e.subject)},"resource":${JSON.stringify(e.resource)}` +
          `,"action":${JSON.stringify(e.action)},"effect":"${e.effect}","reasons":${reasonsToJson(e.reasons)},"latencyUs":${e.latencyUs}${opt('tokenError', e.tokenError)}` +
          `,"api":"${e.api}"${opt('schemaErrors', e.schemaErrors)},"requestId":${JSON.stringify(e.requestId)}${opt('input', e.input)},"msg":"decision"}\n`,
      );
    },
  };
}

/** Counters and a histogram as plain numbers: what prom-client's share of a decision costs. */
function plainMetrics(metrics) {
  const counter = () => {
    let n = 0;
    return { inc: (v = 1) => void (n += v), get: () => n };
  };
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
  return { ...metrics, decisionsAllow: counter(), decisionsDeny: counter(), decisionSeconds: histogram };
}

const baseMetrics = createMetrics();
const metrics = metricsKind === 'plain' ? plainMetrics(baseMetrics) : baseMetrics;
const store = new PolicyStore({ dir: config.policiesDir, load: loadInProcess, logger, metrics, watch: false, debounceMs: 100 });
await store.start();
const decisionLog = logKind === 'direct' ? directDecisionLog(own.destination) : createDecisionLog({ logger, enabled: config.decisionLog, input: config.decisionLogInput });
const { app } = createApp({ config, store, logger, decisionLog, metrics, tokens: undefined });
const server = createServer(app.callback());
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1');
