// Runs the whole demo as `npm start` does (scripts/start.mjs: demo-idp, pdp, demo-api and the
// production build of demo-web) on free ports, with every origin on 127.0.0.1. The launching
// itself is the whole-stack test's launcher, so both suites start the demo the same way.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePorts, launch, ROOT } from '../../stack/launcher.js';

export { ROOT };

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Stack {
  readonly webUrl: string;
  readonly idpUrl: string;
  readonly apiUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** `env` adds to the launcher's environment (e.g. PDP_POLICIES: a copy of the policies to edit live). */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const build = path.join(ROOT, 'demo-web', 'dist', 'demo-web', 'browser', 'index.html');
  if (!existsSync(build)) {
    throw new Error(`${path.relative(ROOT, build)} is missing: build first (npm run build at the repository root)`);
  }
  const ports = await freePorts();
  // The browser reaches every service on 127.0.0.1, so issuer, redirect URI and CORS use it.
  const run = launch(ports, { PUBLIC_HOST: '127.0.0.1', ...env });

  const stop = async () => {
    const { child } = run;
    if (child.exitCode === null && child.signalCode === null) {
      // start.mjs stops its services itself on SIGTERM.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await run.exited;
      clearTimeout(timer);
    }
  };

  try {
    await run.waitFor('Demo ready', READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    webUrl: `http://127.0.0.1:${ports.WEB_PORT}`,
    idpUrl: `http://127.0.0.1:${ports.IDP_PORT}`,
    apiUrl: `http://127.0.0.1:${ports.API_PORT}`,
    output: run.output,
    stop,
  };
}
