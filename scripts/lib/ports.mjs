import net from 'node:net';

/** How far above a taken port the launcher looks for a free one to suggest. */
const SUGGEST_SCAN = 50;

/**
 * Resolves with null when `port` can be bound on `host` right now, else with the error code
 * (EADDRINUSE, EACCES, …) that binding it gave.
 */
export function probePort(host, port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', (error) => resolve(error.code ?? error.message));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

/**
 * The first port above `after` that is free on `host` and not in `avoid` (the other services'
 * ports), or undefined when none of the next few is.
 */
export async function findFreePort(host, after, avoid = []) {
  const skip = new Set(avoid);
  for (let port = after + 1; port <= Math.min(after + SUGGEST_SCAN, 65535); port += 1) {
    if (!skip.has(port) && (await probePort(host, port)) === null) return port;
  }
  return undefined;
}

/** A port the kernel says is free on `host` now (it is released before it is used). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Resolves when `port` can be bound on `host`, else rejects with a message that names the port,
 * the variable that sets it, how to find who holds it, and a free port to move to instead.
 * `avoid` lists the ports the other services use, so the suggestion does not collide with them.
 */
export async function assertPortFree(host, port, variable, service, avoid = []) {
  const code = await probePort(host, port);
  if (code === null) return;
  const why = code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `port ${port} on ${host} cannot be used (${code})`;
  const suggestion = await findFreePort(host, port, avoid);
  throw new Error(
    `${service}: ${why}. Stop whatever holds it (for example: lsof -i :${port}, or ss -ltnp 'sport = :${port}') ` +
      `or choose another port: ${variable}=${suggestion ?? '<port>'} npm start`,
  );
}

/** Reads a TCP port from the environment; rejects anything that is not 1..65535. */
export function readPort(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return port;
}
