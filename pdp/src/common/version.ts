import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in pdp's package.json (the CLI's `--version`, the OpenAPI document's `info.version`). */
export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
