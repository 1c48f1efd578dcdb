/// <reference types="node" />
/**
 * Stopping an HTTP server without resetting a request that reached it: on the first
 * `shutdown()` readiness starts failing (the service's /readyz reads `draining`) while the
 * server keeps serving for `delayMs`, so a load balancer stops sending new connections first.
 * Then the server stops accepting, every request it has accepted is answered with
 * `Connection: close`, and a keep-alive connection is closed only after the response on it or
 * once it has been idle for `idleCloseMs`. After `timeoutMs` more, whatever is left is cut, so
 * the process always exits.
 *
 * Why not `server.close()` alone: since Node 19 it also destroys every idle keep-alive socket
 * at once, and a socket a caller has just written its next request to looks idle until the
 * server reads it; destroying it with that request unread makes the kernel answer with a reset.
 *
 * Node-only, so it has its own entry point (`@oracle-ai/contract/graceful-shutdown`): the
 * browser bundle that imports the package's main entry never sees `node:net`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface ShutdownTiming {
  /** Time to keep serving after the signal, with readiness already failing. */
  delayMs: number;
  /** Then the most time accepted requests get to finish before their connections are cut. */
  timeoutMs: number;
  /**
   * A keep-alive connection idle this long is closed during shutdown: longer than a request a
   * caller has already sent takes to arrive, so nothing is on its way on it.
   */
  idleCloseMs?: number;
}

/** Default of {@link ShutdownTiming.idleCloseMs}: well above a round trip inside a data centre. */
export const DEFAULT_IDLE_CLOSE_MS = 1_000;
/** Range every service accepts for its shutdown delay and timeout settings, in milliseconds. */
export const SHUTDOWN_MS_MAX = 600_000;

export interface ShutdownResult {
  /** True when the timeout cut connections that still had a request or were not idle long enough. */
  timedOut: boolean;
  /** Connections open when the timeout struck (0 when it did not). */
  cut: number;
}

export interface GracefulServer {
  /** True from the first shutdown() on: readiness answers 503. */
  readonly draining: boolean;
  /** True once the server stopped accepting: every answer carries `Connection: close`. */
  readonly closing: boolean;
  /** Starts the shutdown (once; later calls return the same promise). */
  shutdown(): Promise<ShutdownResult>;
}

interface ConnectionState {
  /** When the sweep first saw the connection idle with `bytes` read; -1 while it is not. */
  idleSince: number;
  bytes: number;
}

const SWEEP_EVERY_MS = 50;

/**
 * The response a connection is answering now, if any. Node keeps it on the socket (the same
 * field its own `server.closeIdleConnections()` reads), so nothing has to be tracked per
 * request: this runs only while closing, and a request costs the running service nothing.
 */
function responseOn(socket: Socket): ServerResponse | null {
  const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return res !== undefined && res !== null && !res.writableFinished ? res : null;
}

/** Tracks `server`'s connections from now on; call before it listens. */
export function gracefulServer(server: Server, timing: ShutdownTiming): GracefulServer {
  const idleCloseMs = timing.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
  const connections = new Map<Socket, ConnectionState>();
  let draining = false;
  let closing = false;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { idleSince: -1, bytes: 0 });
    socket.once('close', () => connections.delete(socket));
  });

  // A connection is closed once it has answered everything and nothing more has arrived on it
  // for idleCloseMs: a request on its way would have moved bytesRead.
  const sweep = (): void => {
    const t = Date.now();
    for (const [socket, state] of connections) {
      if (responseOn(socket) !== null || state.idleSince < 0 || socket.bytesRead !== state.bytes) {
        state.idleSince = responseOn(socket) === null ? t : -1;
        state.bytes = socket.bytesRead;
      } else if (t - state.idleSince >= idleCloseMs) {
        socket.destroy();
      }
    }
  };

  let done: Promise<ShutdownResult> | undefined;
  const run = async (): Promise<ShutdownResult> => {
    draining = true;
    if (timing.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, timing.delayMs));
    closing = true;
    // Node closes the connection after a response that says so; one whose head is already out
    // keeps its connection, which the sweep closes once it has been idle. First of the 'request'
    // listeners, so the header is set before any handler can answer.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('Connection', 'close'));
    for (const socket of connections.keys()) {
      const res = responseOn(socket);
      if (res !== null && !res.headersSent) res.setHeader('Connection', 'close');
    }
    // net's close, not http's: stop accepting without destroying the idle sockets (see above).
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    const sweeper = setInterval(sweep, Math.min(SWEEP_EVERY_MS, idleCloseMs));
    sweep();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
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
