// The READMEs (root and deploy/k8s) and the docs pages the root one sends to, against the
// repository: links resolve, every variable they name is read by some service or script, and every npm script
// they name exists.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envNamesIn, exists, read } from './repo.js';

const DOCS = ['README.md', 'deploy/k8s/README.md', 'docs/real-providers.md', 'docs/production.md', 'docs/docker-issuer.md'];

// Where the environment is read: the services' config modules, the launcher, the browser tests.
const known = envNamesIn([
  'pdp/src/runtime/config.ts',
  'pdp/src/token/config.ts',
  'demo-idp/src/config.ts',
  'demo-api/src/config.ts',
  'demo-web/server/config.mjs',
  'scripts/start.mjs',
  'scripts/lib/stack.mjs',
  'scripts/lib/ports.mjs',
  'e2e/browser/support/browser.ts',
]);
// Variables of docker-compose.yml's own interpolation (not read by a service).
const composeOnly = new Set(['PDP_CLIENT_TOKEN', 'OIDC_CLIENT_SECRET', 'PUBLIC_HOST', 'IDP_PORT', 'PDP_PORT', 'WEB_PORT']);

describe.each(DOCS)('%s', (doc) => {
  const text = read(doc);

  it('links only to files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/.test(href));
    for (const href of links) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), href));
      expect(exists(target), `${doc} links to ${href}`).toBe(true);
    }
  });

  it('names only variables that something reads', () => {
    const names = new Set(
      [...text.matchAll(/\b((?:PDP|OIDC|API|IDP|WEB|JWT|JWKS|CORS|COOKIE|TXN|START|PUBLIC|CHROMIUM)_[A-Z0-9_]*[A-Z0-9])\b/g)].map((m) => m[1]!),
    );
    expect(names.size).toBeGreaterThan(0);
    for (const name of names) {
      expect(known.has(name) || composeOnly.has(name), `${doc} names ${name}, which nothing reads`).toBe(true);
    }
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    for (const match of text.matchAll(/npm run ([\w:-]+)\b(?! -w)/g)) {
      expect(scripts, `${doc}: npm run ${match[1]}`).toContain(match[1]);
    }
  });
});
