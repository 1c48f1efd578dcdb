// @ts-check
import net from 'node:net';

/**
 * The graceful stop of `@oracle-ai/contract/graceful-shutdown` (`gracefulServer`), restated
 * because this server runs without node_modules; server/test/graceful-shutdown.test.mjs runs
 * the same checks against both. On the first shutdown() readiness fails while the server keeps
 * serving for `delayMs`; then it stops accepting, answers what it accepted with
 * `Connection: close`, closes a keep-alive connection only after its response or once idle for
 * `idleCloseMs`, and cuts what is left after `timeoutMs`. Not `server.close()` alone: it
 * destroys idle sockets at once, and one a caller has just sent a request on is then reset.
 */

/** Default idle time after which shutdown closes a keep-alive connection (as the contract's). */
export const DEFAULT_IDLE_CLOSE_MS = 1_000;
const SWEEP_EVERY_MS = 50;

/**
 * The response a connection is answering now, if any (Node's own field, as the contract reads it).
 * @param {net.Socket} socket
 * @returns {import('node:http').ServerResponse | null}
 */
function responseOn(socket) {
  const res = /** @type {{ _httpMessage?: import('node:http').ServerResponse | null }} */ (/** @type {unknown} */ (socket))._httpMessage;
  return res !== undefined && res !== null && !res.writableFinished ? res : null;
}

/**
 * @param {import('node:http').Server} server tracked from now on: call before it listens
 * @param {{ delayMs: number, timeoutMs: number, idleCloseMs?: number }} timing
 * @returns {{ readonly draining: boolean, readonly closing: boolean, shutdown(): Promise<{ timedOut: boolean, cut: number }> }}
 */
export function gracefulServer(server, timing) {
  const idleCloseMs = timing.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
  /** @type {Map<net.Socket, { idleSince: number, bytes: number }>} */
  const connections = new Map();
  let draining = false;
  let closing = false;

  server.on('connection', (socket) => {
    connections.set(socket, { idleSince: -1, bytes: 0 });
    socket.once('close', () => connections.delete(socket));
  });

  const sweep = () => {
    const now = Date.now();
    for (const [socket, state] of connections) {
      if (responseOn(socket) !== null || state.idleSince < 0 || socket.bytesRead !== state.bytes) {
        state.idleSince = responseOn(socket) === null ? now : -1;
        state.bytes = socket.bytesRead;
      } else if (now - state.idleSince >= idleCloseMs) {
        socket.destroy();
      }
    }
  };

  /** @type {Promise<{ timedOut: boolean, cut: number }> | undefined} */
  let done;
  const run = async () => {
    draining = true;
    if (timing.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, timing.delayMs));
    closing = true;
    server.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
    for (const socket of connections.keys()) {
      const res = responseOn(socket);
      if (res !== null && !res.headersSent) res.setHeader('Connection', 'close');
    }
    const closed = new Promise((resolve) => net.Server.prototype.close.call(server, () => resolve(undefined)));
    const sweeper = setInterval(sweep, Math.min(SWEEP_EVERY_MS, idleCloseMs));
    sweep();
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timing.timeoutMs);
    });
    let cut = 0;
    if ((await Promise.race([closed, timeout])) === 'timeout') {
      cut = connections.size;
      server.closeAllConnections();
      for (const socket of connections.keys()) socket.destroy();
      await closed;
    }
    clearTimeout(timer);
    clearInterval(sweeper);
    return { timedOut: cut > 0, cut };
  };

  return {
    get draining() {
      return draining;
    },
    get closing() {
      return closing;
    },
    shutdown: () => (done ??= run()),
  };
}
