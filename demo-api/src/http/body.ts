import type { FieldError } from '@oracle-ai/contract';
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import type { Middleware } from 'koa';

import { ApiError } from '../errors.js';
import type { ApiState } from './state.js';

const MAX_BODY_BYTES = 16 * 1024;
const ajv = new Ajv({ allErrors: true, strict: true });

// RFC 6901: a property name goes into a pointer with "~" and "/" escaped (ajv's instancePath already is).
function token(name: unknown): string {
  return String(name).replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointers(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => ({
    pointer: e.keyword === 'required' ? `${e.instancePath}/${token(e.params.missingProperty)}` : e.keyword === 'additionalProperties' ? `${e.instancePath}/${token(e.params.additionalProperty)}` : e.instancePath || '/',
    detail: e.keyword === 'additionalProperties' ? 'is not allowed' : (e.message ?? 'is not valid'),
  }));
}

/** Reads a JSON body (bounded) and validates it against `schema`; the result is in ctx.state.body. */
export function jsonBody<T>(schema: JSONSchemaType<T>): Middleware<ApiState> {
  const validate = ajv.compile(schema);
  return async (ctx, next) => {
    const type = ctx.is('application/json');
    // type-is answers null when the request has no body at all: that is a missing body, not a wrong type.
    if (type === null) throw new ApiError('invalid_json', 'A JSON body is required.');
    if (!type) throw new ApiError('unsupported_media_type', 'Send the body as application/json.');
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > MAX_BODY_BYTES) throw new ApiError('payload_too_large', `At most ${MAX_BODY_BYTES} bytes.`);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of ctx.req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) throw new ApiError('payload_too_large', `At most ${MAX_BODY_BYTES} bytes.`);
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // The client went away mid-body: its fault, not an internal error worth an alert.
      throw new ApiError('invalid_request', 'The body was cut short.');
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new ApiError('invalid_json', 'The body is not valid JSON.');
    }
    if (!validate(body)) {
      throw new ApiError('invalid_request', 'The body does not match the expected shape.', { errors: pointers(validate.errors) });
    }
    ctx.state.body = body;
    await next();
  };
}

export { token as pointerToken };
