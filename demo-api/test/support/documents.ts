import type { ApiHandle } from '../../src/index.js';

/** The demo users and their departments (policies/data/users.json). */
export const DEMO_USERS = ['alice', 'bob', 'carol', 'dave'] as const;

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** Any method with an optional JSON body; a string body is sent as it is. */
export async function send(api: ApiHandle, method: string, path: string, token: string | undefined, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}
