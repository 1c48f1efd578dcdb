/**
 * JSON over HTTP/1.1 keep-alive connections (node:http's Agent), with a deadline per call that
 * covers connecting, sending and reading the whole answer.
 *
 * One retry, only when it is safe to assume the PDP never saw the request: a connection reused from
 * the pool that is reset before it delivered any byte of this response (a keep-alive socket the
 * server closed while it sat idle). The retry goes out on a new connection. Once a response byte
 * has arrived nothing is retried: the PDP may have answered.
 */
import http from 'node:http';
import https from 'node:https';
import { PdpClientError } from './errors.js';

export interface TransportOptions {
  /** The PDP's base URL, e.g. `http://127.0.0.1:8181`. */
  url: string;
  /** Sent as `Authorization: Bearer …` when set (PDP_CLIENT_TOKENS). Never logged by the client. */
  clientToken?: string;
  maxSockets: number;
  maxResponseBytes: number;
}

export interface JsonAnswer {
  status: number;
  contentType: string;
  body: unknown;
}

/** Reset codes of a socket the server closed; anything else is not retried. */
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

interface Attempt {
  /** The socket came from the pool (it had served an earlier request). */
  reused: boolean;
  /** Bytes of this response received before the failure. */
  bytes: number;
}

export class Transport {
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #headers: Record<string, string>;
  readonly #maxBytes: number;

  constructor(options: TransportOptions) {
    this.#base = new URL(options.url);
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') throw new TypeError(`PDP url must be http: or https:, not ${this.#base.protocol}`);
    const secure = this.#base.protocol === 'https:';
    this.#agent = secure ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets }) : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    this.#request = secure ? https.request : http.request;
    this.#headers = { accept: 'application/json', 'content-type': 'application/json', ...(options.clientToken ? { authorization: `Bearer ${options.clientToken}` } : {}) };
    this.#maxBytes = options.maxResponseBytes;
  }

  /** POST with a JSON body, or GET without one (`body` undefined). */
  async send(path: string, body: unknown, timeoutMs: number): Promise<JsonAnswer> {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const deadline = Date.now() + timeoutMs;
    const attempt: Attempt = { reused: false, bytes: 0 };
    try {
      return await this.#once(path, payload, deadline, this.#agent, attempt);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!(attempt.reused && attempt.bytes === 0 && code !== undefined && RESET_CODES.has(code))) throw wrap(err);
    }
    // A one-off agent: certainly a new connection, not another pooled one about to be reset too.
    const fresh = new (this.#request === https.request ? https.Agent : http.Agent)({ keepAlive: false });
    try {
      return await this.#once(path, payload, deadline, fresh, { reused: false, bytes: 0 });
    } catch (err) {
      throw wrap(err);
    } finally {
      fresh.destroy();
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #once(path: string, payload: Buffer | null, deadline: number, agent: http.Agent, attempt: Attempt): Promise<JsonAnswer> {
    return new Promise<JsonAnswer>((resolve, reject) => {
      const url = new URL(path, this.#base);
      const headers = payload === null ? { accept: this.#headers.accept as string, ...(this.#headers.authorization ? { authorization: this.#headers.authorization } : {}) } : { ...this.#headers, 'content-length': String(payload.length) };
      const req = this.#request(url, { method: payload === null ? 'GET' : 'POST', agent, headers });
      const remaining = Math.max(0, deadline - Date.now());
      const timer = setTimeout(() => req.destroy(new PdpClientError('timeout', `The PDP did not answer within the timeout (${path}).`)), remaining);
      let bytesAtStart = 0;
      let socket: import('node:net').Socket | undefined;
      req.on('socket', (s) => {
        socket = s;
        attempt.reused = req.reusedSocket;
        bytesAtStart = s.bytesRead;
      });
      const fail = (err: unknown): void => {
        clearTimeout(timer);
        if (socket !== undefined) attempt.bytes = socket.bytesRead - bytesAtStart;
        reject(err);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        attempt.bytes = Math.max(attempt.bytes, 1);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.#maxBytes) {
            req.destroy(new PdpClientError('bad_response', `The PDP's answer is larger than ${this.#maxBytes} bytes.`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const contentType = String(res.headers['content-type'] ?? '');
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = isJsonType(contentType) ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType, body: parsed });
        });
      });
      if (payload === null) req.end();
      else req.end(payload);
    });
  }
}

/** application/json or any +json type (problem+json): an HTML page or a proxy's text that happens to parse is not an answer. */
function isJsonType(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function wrap(err: unknown): PdpClientError {
  if (err instanceof PdpClientError) return err;
  return new PdpClientError('unreachable', `The PDP cannot be reached: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
