/** RFC 6901 JSON pointers: the one way every room of the PDP names a place in a JSON document. */

/** One reference token, escaped (`~` → `~0`, `/` → `~1`). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A pointer from its unescaped tokens (`['rules', 0, 'id']` → `/rules/0/id`). */
export function pointerOf(tokens: readonly (string | number)[]): string {
  let out = '';
  for (const t of tokens) out += `/${typeof t === 'number' ? t : escapePointer(t)}`;
  return out;
}
