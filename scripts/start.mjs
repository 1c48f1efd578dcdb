#!/usr/bin/env node
// `npm start`: builds what is missing, then runs demo-idp, pdp, demo-api and demo-web on this
// machine with per-run secrets, prefixed logs, readiness checks and a clean stop on Ctrl-C.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planBuild, runNpmScript } from './lib/build.mjs';
import { createPainter } from './lib/log-format.mjs';
import { assertPortFree } from './lib/ports.mjs';
import { waitReady } from './lib/ready.mjs';
import { readStackConfig } from './lib/stack.mjs';
import { Supervisor } from './lib/supervisor.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `Usage: npm start [-- --skip-build]

Runs the whole demo (demo-idp, pdp, demo-api, demo-web) on this machine.

Options:
  --skip-build     do not build, even when a build output is missing or stale (or START_SKIP_BUILD=1)
  -h, --help       show this help

Environment:
  IDP_PORT (9000), PDP_PORT (8181), API_PORT (3000), WEB_PORT (4200)   ports
  PUBLIC_HOST (localhost)      host name the browser uses for the issuer, redirects and CORS
  PDP_POLICIES (policies)      policy directory the PDP serves and hot-reloads
  PDP_CLIENT_TOKEN             PDP caller token to use (default: random for each run); PDP_CLIENT_TOKENS
                               with one token is taken the same way
  OIDC_CLIENT_SECRET           demo client secret (default: random for each run)
  START_READY_TIMEOUT_MS (60000)  how long each service may take to become ready
  OIDC_ISSUER                  use this OpenID Provider instead of demo-idp (then OIDC_CLIENT_ID and
                               OIDC_CLIENT_SECRET are required; see "Connecting a real provider" in README.md)
`;

const painter = createPainter(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
const out = (line) => process.stdout.write(`${line}\n`);
const say = (line) => out(`${painter.paint('bold', '[start]')} ${line}`);
const fail = (line) => process.stderr.write(`${painter.paint('red', '[start]')} ${line}\n`);

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  out(USAGE);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--skip-build');
if (unknown.length > 0) {
  fail(`unknown argument: ${unknown.join(' ')}\n\n${USAGE}`);
  process.exit(2);
}
const skipBuild = args.includes('--skip-build') || ['1', 'true', 'yes'].includes(String(process.env.START_SKIP_BUILD).toLowerCase());

let config;
try {
  config = readStackConfig(process.env, ROOT);
} catch (error) {
  fail(error.message);
  process.exit(2);
}

let exiting = false;
const supervisor = new Supervisor({
  painter,
  out,
  onUnexpectedExit: (record) => {
    const how = record.error
      ? `could not start (${record.error.message})`
      : record.signal
        ? `was killed by ${record.signal}`
        : `exited with code ${record.code}`;
    fail(`${record.service.name} ${how}; stopping the other services (its log lines above say why)`);
    void shutdown(1);
  },
});

async function shutdown(code) {
  if (exiting) return;
  exiting = true;
  const forced = await supervisor.stopAll();
  if (forced) fail('a service did not stop within 5 s and was killed');
  say('all services stopped');
  process.exit(code);
}

// Each child runs in its own process group, so the terminal's Ctrl-C reaches only this process:
// it stops the children itself. A second Ctrl-C does not wait for them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (exiting) {
      supervisor.killAllNow();
      process.exit(130);
    }
    out('');
    say(`${signal}: stopping every service…`);
    void shutdown(0);
  });
}
// `npm start` killed by SIGTERM exits without passing it on; the launcher, re-parented, then
// notices that its parent is gone and stops the services rather than leaving them running.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid && !exiting) {
    say(`the parent process (pid ${parentPid}) is gone: stopping every service…`);
    void shutdown(1);
  }
}, 1000).unref();
process.on('exit', () => supervisor.killAllNow());
process.on('uncaughtException', (error) => {
  fail(`launcher error: ${error.stack ?? error.message}`);
  supervisor.killAllNow();
  process.exit(1);
});

async function checkPorts() {
  const taken = config.services.map((service) => service.port);
  const results = await Promise.allSettled(
    config.services.map((service) => assertPortFree('127.0.0.1', service.port, service.portVariable, service.name, taken)),
  );
  const problems = results.filter((result) => result.status === 'rejected').map((result) => result.reason.message);
  if (problems.length > 0) {
    for (const problem of problems) fail(problem);
    process.exit(1);
  }
}

async function build() {
  if (skipBuild) {
    say('skipping the build (START_SKIP_BUILD / --skip-build)');
    return;
  }
  const plan = planBuild(ROOT);
  if (plan.ts.length > 0) {
    say(`building TypeScript (${plan.ts.join(', ')} missing or older than its sources): npm run build:ts`);
    await runNpmScript(ROOT, 'build:ts');
  }
  if (plan.web) {
    say('building the web app (demo-web/dist missing or older than its sources): npm run build:web');
    await runNpmScript(ROOT, 'build:web');
  }
}

function checkEntries() {
  const missing = config.services.filter((service) => !existsSync(service.entry));
  if (missing.length === 0) return;
  for (const service of missing) fail(`${service.name}: ${path.relative(ROOT, service.entry)} does not exist`);
  fail(skipBuild ? 'build first (npm run build), or start without START_SKIP_BUILD' : 'the build did not produce it; see the output above');
  process.exit(1);
}

async function startService(service) {
  const env = { ...process.env, ...service.env };
  const record = supervisor.start({ ...service, cwd: ROOT }, env);
  say(`started ${service.name} (pid ${record.child.pid}) on port ${service.port}`);
  const state = await waitReady(service.readyUrl, {
    timeoutMs: config.readyTimeoutMs,
    hasExited: () => record.exited,
    onWaiting: (last, elapsedMs) =>
      say(`still waiting for ${service.name}: ${service.readyUrl} ${last} after ${Math.round(elapsedMs / 1000)} s (its log lines say why)`),
  });
  if (state === 'ready') {
    say(`${service.name} is ready`);
    return;
  }
  if (state === 'timeout') {
    fail(`${service.name} was not ready within ${config.readyTimeoutMs} ms (${service.readyUrl}); stopping the other services`);
    await shutdown(1);
  }
  // 'exited' is reported by the supervisor, which also stops the rest.
  await new Promise(() => {});
}

/** demo-idp's users as it reads them (IDP_USERS_FILE, else its own users.json): names and groups only. */
function demoUsers() {
  const file = process.env.IDP_USERS_FILE || path.join(ROOT, 'demo-idp', 'users.json');
  try {
    const { users } = JSON.parse(readFileSync(file, 'utf8'));
    return users.map((u) => ({ username: String(u.username), groups: Array.isArray(u.groups) ? u.groups.map(String) : [] }));
  } catch {
    return [];
  }
}

function banner() {
  const { ports, webOrigin, issuer } = config;
  const users = config.external
    ? [`  Sign in with a user of ${issuer} (the provider you configured).`]
    : [
        '  Sign in with one of the demo users (password "demo" for each); the home page shows what',
        '  each may open, as the loaded policies decide it:',
        ...demoUsers().map((u) => `    ${u.username.padEnd(7)} ${u.groups.length === 0 ? 'no group' : `group ${u.groups.join(', ')}`}`),
      ];
  const lines = [
    '',
    painter.paint('green', painter.paint('bold', `Demo ready: open ${webOrigin}`)),
    '',
    ...users,
    '',
    `  demo-web  ${webOrigin}   the app; /api is proxied to demo-api`,
    config.external ? `  issuer    ${issuer}` : `  demo-idp  ${issuer}   OpenID Provider (the issuer)`,
    `  demo-api  http://127.0.0.1:${ports.API_PORT}`,
    `  pdp       http://127.0.0.1:${ports.PDP_PORT}   policies from ${path.relative(ROOT, config.policiesDir) || '.'}/ (edits reload live)`,
    config.pdpTokenChosen
      ? '  PDP caller token: the one you set'
      : '  PDP caller token: random for this run (start with PDP_CLIENT_TOKEN=<token> to call the PDP with curl)',
    '',
    '  Press Ctrl-C to stop everything.',
    '',
  ];
  for (const line of lines) out(line);
}

async function main() {
  await checkPorts();
  await build();
  checkEntries();
  // Ports may have been taken while building.
  await checkPorts();
  const byName = new Map(config.services.map((service) => [service.name, service]));
  const started = new Map();
  const startOnce = (service) => {
    if (!started.has(service.name)) {
      started.set(
        service.name,
        Promise.all((service.after ?? []).map((name) => startOnce(byName.get(name)))).then(() => startService(service)),
      );
    }
    return started.get(service.name);
  };
  await Promise.all(config.services.map(startOnce));
  if (!exiting) banner();
}

main().catch((error) => {
  fail(error.message);
  supervisor.killAllNow();
  process.exit(1);
});
