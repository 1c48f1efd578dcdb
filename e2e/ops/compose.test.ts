// docker-compose.yml against the repository and the services' real configuration. CI has no
// Docker engine; Debian's docker-compose (v1) still renders and validates the file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@oracle-ai/pdp';
import { ROOT, SERVICES, dockerfile, envNamesIn, envOf, exists, read, stages, yamlFile, type ServiceName } from './repo.js';

interface ComposeService {
  profiles?: string[];
  command?: string[];
  tmpfs?: string[];
  build: { context: string; dockerfile: string };
  image: string;
  ports?: string[];
  environment: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck: { test: string[] };
  read_only?: boolean;
}

const compose = yamlFile<{ services: Record<string, ComposeService> }>('docker-compose.yml');
const raw = read('docker-compose.yml');
const names = Object.keys(SERVICES) as ServiceName[];
const env = (name: ServiceName) => compose.services[name]!.environment;

/** The value compose would give with no variable set (`${X:-default}` -> default). */
function withDefaults(value: string): string {
  return value.replace(/\$\{(\w+):-([^}]*)\}/g, '$2');
}

function emptyEnvFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-env-'));
  const file = path.join(dir, 'empty.env');
  writeFileSync(file, '');
  return file;
}

const COMPOSE = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
// On a developer's machine a missing docker-compose skips these two checks, saying so; in CI
// (where .ci/run installs it) a missing tool fails them instead of passing in silence.
const REQUIRE_COMPOSE = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const SKIP_NOTE = COMPOSE || REQUIRE_COMPOSE ? '' : ' [SKIPPED: docker-compose is not installed here; .ci/run installs it]';

describe('docker-compose.yml', () => {
  it('runs exactly the four services (besides optional profiles), each built from its own Dockerfile in the repository', () => {
    expect(Object.keys(compose.services).filter((name) => compose.services[name]!.profiles === undefined).sort()).toEqual([...names].sort());
    for (const name of names) {
      const service = compose.services[name]!;
      expect(service.build.context).toBe('.');
      expect(service.build.dockerfile).toBe(SERVICES[name].dockerfile);
      expect(exists(service.build.dockerfile)).toBe(true);
      expect(service.read_only).toBe(true);
    }
  });

  it('sets only variables the services read, listening on all interfaces on the contract ports', () => {
    for (const name of names) {
      const { configSources, portVariable, port } = SERVICES[name];
      const known = envNamesIn(configSources);
      for (const variable of Object.keys(env(name))) {
        expect(known, `${name}: ${variable} is not read by ${configSources.join(', ')}`).toContain(variable);
      }
      expect(env(name)[portVariable]).toBe(String(port));
      expect(env(name)[portVariable.replace('_PORT', '_HOST')]).toBe('0.0.0.0');
      // The image's own defaults agree, so `docker run` without compose behaves the same.
      const image = dockerfile(SERVICES[name].dockerfile);
      expect(envOf(image.filter((i) => i.stage === stages(image).at(-1)))[portVariable]).toBe(String(port));
    }
  });

  it('publishes the browser-facing services on the ports of the contract, on this machine only unless PUBLISH_ADDRESS says otherwise', () => {
    expect(compose.services['demo-web']!.ports).toEqual(['${PUBLISH_ADDRESS:-127.0.0.1}:${WEB_PORT:-4200}:4200']);
    expect(compose.services['demo-idp']!.ports).toEqual(['${PUBLISH_ADDRESS:-127.0.0.1}:${IDP_PORT:-9000}:9000']);
    expect(compose.services.pdp!.ports).toEqual(['127.0.0.1:${PDP_PORT:-8181}:8181']);
    expect(compose.services['demo-api']!.ports, 'the browser reaches demo-api only through demo-web').toBeUndefined();
  });

  it('checks health with the services’ real health routes, and starts each after what it needs is healthy', () => {
    const routes: Record<ServiceName, string> = {
      'demo-idp': '/.well-known/openid-configuration',
      pdp: '/readyz',
      'demo-api': '/healthz',
      'demo-web': '/',
    };
    for (const name of names) {
      const test = compose.services[name]!.healthcheck.test;
      expect(test).toEqual(['CMD', 'node', 'scripts/healthcheck.mjs', SERVICES[name].portVariable, String(SERVICES[name].port), routes[name]]);
    }
    expect(exists('scripts/healthcheck.mjs')).toBe(true);
    expect(compose.services['demo-api']!.depends_on).toEqual({
      'demo-idp': { condition: 'service_healthy' },
      pdp: { condition: 'service_healthy' },
    });
    expect(compose.services['demo-web']!.depends_on).toEqual({ 'demo-api': { condition: 'service_healthy' } });
  });

  it('uses one public issuer for the browser and the back channel, with internal URLs for fetching', () => {
    const issuer = withDefaults(env('demo-idp').IDP_ISSUER!);
    expect(issuer).toBe('http://localhost:9000');
    expect(withDefaults(env('demo-api').OIDC_ISSUER!)).toBe(issuer);
    expect(withDefaults(env('pdp').PDP_JWT_ISSUER!)).toBe(issuer);
    // Browser-facing endpoints on the public origin; server-to-server ones on the compose network.
    expect(withDefaults(env('demo-api').OIDC_AUTHORIZATION_ENDPOINT!)).toBe(`${issuer}/auth`);
    expect(withDefaults(env('demo-api').OIDC_END_SESSION_ENDPOINT!)).toBe(`${issuer}/session/end`);
    const idpInternal = `http://demo-idp:${env('demo-idp').IDP_PORT}`;
    expect(env('demo-api').OIDC_DISCOVERY_URL).toBe(`${idpInternal}/.well-known/openid-configuration`);
    expect(env('demo-api').OIDC_TOKEN_ENDPOINT).toBe(`${idpInternal}/token`);
    expect(env('demo-api').OIDC_JWKS_URI).toBe(`${idpInternal}/jwks`);
    expect(env('pdp').PDP_JWKS_URL).toBe(`${idpInternal}/jwks`);
    expect(env('demo-api').DEMO_USERS_URL).toBe(`${idpInternal}/demo/users`);
    expect(env('demo-api').PDP_URL).toBe(`http://pdp:${env('pdp').PDP_PORT}`);
    expect(env('demo-web').API_URL).toBe(`http://demo-api:${env('demo-api').API_PORT}`);
  });

  it('agrees on client, audience, redirect and CORS settings across the services', () => {
    const web = 'http://localhost:4200';
    expect(env('demo-api').OIDC_CLIENT_ID).toBe(env('demo-idp').IDP_CLIENT_ID);
    expect(env('demo-api').API_AUDIENCE).toBe(env('demo-idp').IDP_API_AUDIENCE);
    expect(env('pdp').PDP_JWT_AUDIENCE).toBe(env('demo-idp').IDP_API_AUDIENCE);
    expect(withDefaults(env('demo-api').OIDC_REDIRECT_URI!)).toBe(`${web}/auth/callback`);
    expect(withDefaults(env('demo-idp').IDP_REDIRECT_URIS!).split(',')).toContain(`${web}/auth/callback`);
    expect(withDefaults(env('demo-api').OIDC_POST_LOGOUT_REDIRECT_URI!)).toBe(`${web}/`);
    expect(withDefaults(env('demo-idp').IDP_POST_LOGOUT_REDIRECT_URIS!).split(',')).toContain(`${web}/`);
    expect(withDefaults(env('demo-api').CORS_ORIGINS!)).toBe(web);
  });

  it('takes every secret from a required variable, never from a default or a literal', () => {
    const secrets: [ServiceName, string, string][] = [
      ['demo-idp', 'IDP_CLIENT_SECRET', 'OIDC_CLIENT_SECRET'],
      ['demo-api', 'OIDC_CLIENT_SECRET', 'OIDC_CLIENT_SECRET'],
      ['pdp', 'PDP_CLIENT_TOKENS', 'PDP_CLIENT_TOKEN'],
      ['demo-api', 'PDP_CLIENT_TOKEN', 'PDP_CLIENT_TOKEN'],
    ];
    for (const [name, key, variable] of secrets) {
      expect(env(name)[key], `${name}.${key}`).toMatch(new RegExp(`^\\$\\{${variable}:\\?[^}]+\\}$`));
    }
    for (const name of names) {
      for (const [key, value] of Object.entries(env(name))) {
        if (/SECRET|TOKEN(S)?$|PASSWORD|COOKIE_KEY/.test(key)) expect(value, `${name}.${key}`).toMatch(/^\$\{\w+:\?/);
      }
    }
    expect(raw).not.toMatch(/\$\{\w*(SECRET|TOKEN)\w*:-/);
    expect(read('.gitignore').split('\n')).toContain('.env');
    const example = read('.env.example');
    expect(example).toMatch(/^PDP_CLIENT_TOKEN=$/m);
    expect(example).toMatch(/^OIDC_CLIENT_SECRET=$/m);
  });

  it('mounts the repository’s policies read-only into the PDP (edits hot-reload)', () => {
    expect(compose.services.pdp!.volumes).toEqual([`./policies:${env('pdp').PDP_POLICIES}:ro`]);
    expect(exists('policies')).toBe(true);
  });
});

describe('docker-compose.yml, profile bundle: the demo policies served as a bundle', () => {
  const inProfile = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('bundle'));
  const service = (name: string) => compose.services[name]!;

  it('adds a build, a static server and a PDP reading the bundle, none of them started without the profile', () => {
    expect(inProfile.map(([name]) => name).sort()).toEqual(['bundle-build', 'bundle-server', 'pdp-bundle']);
    for (const [name, s] of inProfile) {
      expect(s.profiles, name).toEqual(['bundle']);
      expect(s.read_only, name).toBe(true);
    }
    expect(service('bundle-build').image).toBe(service('pdp').image);
    expect(service('pdp-bundle').image).toBe(service('pdp').image);
  });

  it('serves the file bundle-build writes, at the URL pdp-bundle polls', () => {
    const [command, dir, flag, out] = service('bundle-build').command!;
    expect([command, flag]).toEqual(['build', '-o']);
    expect(service('bundle-build').volumes).toContain(`./policies:${dir}:ro`);
    const volumeOf = (s: ComposeService, target: string) => s.volumes?.map((v) => v.split(':')).find(([, mount]) => target === mount || target!.startsWith(`${mount}/`));
    const [volume, mount] = volumeOf(service('bundle-build'), out!)!;
    // nginx serves /usr/share/nginx/html; the same volume is mounted there.
    const served = service('bundle-server').volumes!.map((v) => v.split(':')).find(([name]) => name === volume)!;
    expect(served[1]).toBe('/usr/share/nginx/html');
    const url = new URL(service('pdp-bundle').environment.PDP_BUNDLE!);
    expect(url.hostname).toBe('bundle-server');
    expect(url.pathname).toBe(`/${path.posix.relative(mount!, out!)}`);
    expect(service('pdp-bundle').depends_on).toEqual({ 'bundle-server': { condition: 'service_started' } });
    expect(service('bundle-server').depends_on).toEqual({ 'bundle-build': { condition: 'service_completed_successfully' } });
  });

  it('configures pdp-bundle with variables the PDP reads, on top of the image, and its configuration accepts them', () => {
    const pdpEnv = service('pdp-bundle').environment;
    const known = envNamesIn(SERVICES.pdp.configSources);
    for (const variable of Object.keys(pdpEnv)) expect(known, variable).toContain(variable);
    expect(pdpEnv.PDP_CLIENT_TOKENS).toMatch(/^\$\{PDP_CLIENT_TOKEN:\?[^}]+\}$/);
    const image = dockerfile(SERVICES.pdp.dockerfile);
    const merged = { ...envOf(image.filter((i) => i.stage === stages(image).at(-1))), ...pdpEnv, PDP_CLIENT_TOKENS: 'from-the-env' };
    const config = loadConfig({ env: merged });
    expect(config.bundle?.source).toEqual({ kind: 'url', url: 'http://bundle-server/bundle.json' });
    // The root filesystem is read-only; a download is staged in the temp folder.
    expect(service('pdp-bundle').tmpfs).toContain('/tmp');
    expect(service('pdp-bundle').healthcheck.test.at(-1)).toBe('/readyz');
  });
});

describe('docker-compose config (no engine needed)', () => {
  const run = (extra: Record<string, string | undefined>, args: string[] = []) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, ...extra };
    for (const key of Object.keys(extra)) if (extra[key] === undefined) delete childEnv[key];
    // An empty env file: a developer's own .env must not change what is being checked.
    return spawnSync('docker-compose', ['--env-file', emptyEnvFile(), '-f', 'docker-compose.yml', ...args, 'config', '-q'], {
      cwd: ROOT,
      env: childEnv as NodeJS.ProcessEnv,
      encoding: 'utf8',
    });
  };

  it.skipIf(!COMPOSE && !REQUIRE_COMPOSE)(`validates once the two secrets are set${SKIP_NOTE}`, () => {
    const result = run({ PDP_CLIENT_TOKEN: 'ci-caller-token', OIDC_CLIENT_SECRET: 'ci-client-secret-0123456789' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!COMPOSE && !REQUIRE_COMPOSE)(`validates with the bundle profile on${SKIP_NOTE}`, () => {
    const result = run({ PDP_CLIENT_TOKEN: 'ci-caller-token', OIDC_CLIENT_SECRET: 'ci-client-secret-0123456789' }, ['--profile', 'bundle']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!COMPOSE && !REQUIRE_COMPOSE)(`refuses to render without them, naming what to set${SKIP_NOTE}`, () => {
    const result = run({ PDP_CLIENT_TOKEN: undefined, OIDC_CLIENT_SECRET: undefined, COMPOSE_FILE: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/set (OIDC_CLIENT_SECRET|PDP_CLIENT_TOKEN) \(see \.env\.example\)/);
  });
});
