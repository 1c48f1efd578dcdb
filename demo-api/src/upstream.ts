/**
 * Reading answers from the services demo-api calls (the PDP, the identity provider). They are
 * trusted to be honest, not to be well-behaved: a misconfigured URL or a broken upstream must not
 * make demo-api buffer an unbounded body.
 */

/** The most a single upstream answer may weigh; decisions, token responses and listings are far smaller. */
export const MAX_UPSTREAM_BYTES = 1024 * 1024;

export class UpstreamTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
    this.name = 'UpstreamTooLarge';
  }
}

export class UpstreamNotJson extends Error {
  constructor() {
    super('the answer is not JSON');
    this.name = 'UpstreamNotJson';
  }
}

/** Parses the body as JSON, refusing (and cancelling) anything larger than `maxBytes`. */
export async function readJson(response: Response, maxBytes = MAX_UPSTREAM_BYTES): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new UpstreamTooLarge(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new UpstreamTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    // Not the SyntaxError itself: V8 quotes the start of the input in its message, and a broken
    // token endpoint's body may hold a token; that message ends up in a log line.
    throw new UpstreamNotJson();
  }
}

/** Lets go of a body that will not be read, so the keep-alive connection is freed. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
