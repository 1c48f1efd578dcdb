import net from 'node:net';

/**
 * Resolves when `port` can be bound on `host`, else rejects with a message that names the port,
 * the variable that sets it, and how to find who holds it.
 */
export function assertPortFree(host, port, variable, service) {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', (error) => {
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use`
          : `port ${port} on ${host} cannot be used (${error.code ?? error.message})`;
      reject(
        new Error(
          `${service}: ${why}. Stop whatever holds it (for example: lsof -i :${port}, or ss -ltnp 'sport = :${port}') ` +
            `or choose another port: ${variable}=<port> npm start`,
        ),
      );
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
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
