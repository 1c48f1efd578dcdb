// Each service's Dockerfile: multi-stage, production dependencies only, non-root, a health
// check, no secret, and every file it copies exists.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SERVICES, dockerfile, envNamesIn, envOf, exists, read, stages, type ServiceName } from './repo.js';

const SECRET_NAME = /SECRET|TOKEN|PASSWORD|COOKIE_KEY|PRIVATE/i;

/** `COPY [--from=x] [--chown=..] src... dest` without --from: sources in the build context. */
function contextSources(args: string): string[] {
  const parts = args.split(/\s+/).filter((part) => part !== '');
  if (parts.some((part) => part.startsWith('--from='))) return [];
  const paths = parts.filter((part) => !part.startsWith('--'));
  return paths.slice(0, -1);
}

const ignored = read('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe.each(Object.entries(SERVICES) as [ServiceName, (typeof SERVICES)[ServiceName]][])('%s Dockerfile', (name, service) => {
  const instructions = dockerfile(service.dockerfile);
  const allStages = stages(instructions);
  const runtime = allStages.at(-1)!;
  const final = instructions.filter((i) => i.stage === runtime);

  it('is multi-stage and builds on a slim Node 20 image', () => {
    expect(allStages.length).toBeGreaterThanOrEqual(2);
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toMatch(/^NODE_IMAGE=node:20[\w.-]*-(slim|alpine)/);
    for (const from of instructions.filter((i) => i.keyword === 'FROM')) {
      expect(from.args).toMatch(/^(\$\{NODE_IMAGE\}|\w[\w-]*)( AS \S+)?$/);
    }
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => contextSources(i.args));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(exists(source), `${service.dockerfile} copies ${source}, which does not exist`).toBe(true);
      expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source);
    }
  });

  it('installs with npm ci from the lockfile, and the runtime stage gets production dependencies only', () => {
    const installs = instructions.filter((i) => i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args));
    expect(installs, 'npm install does not honour the lockfile; use npm ci').toEqual([]);
    for (const ci of instructions.filter((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))) {
      expect(ci.args).toContain('--ignore-scripts');
      expect(ci.args).toContain(`-w ${name}`);
    }
    const copiedModules = final.filter((i) => i.keyword === 'COPY' && /\bnode_modules\b/.test(i.args));
    for (const copy of copiedModules) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      expect(from, 'node_modules come from another stage').toBeDefined();
      const producer = instructions.filter((i) => i.stage === from && i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
      expect(producer.length).toBe(1);
      expect(producer[0]!.args).toContain('--omit=dev');
    }
    if (name !== 'demo-web') expect(copiedModules.length).toBe(1);
  });

  it('runs as the non-root node user with a health check and an entry point that exists', () => {
    const user = final.filter((i) => i.keyword === 'USER').at(-1);
    expect(user?.args).toBe('node');
    const health = final.find((i) => i.keyword === 'HEALTHCHECK');
    expect(health?.args).toMatch(/CMD \["node", "scripts\/healthcheck\.mjs", "(\w+)", "(\d+)", "\/[^"]*"\]/);
    const [, variable, port] = /"scripts\/healthcheck\.mjs", "(\w+)", "(\d+)"/.exec(health!.args)!;
    expect(variable).toBe(service.portVariable);
    expect(Number(port)).toBe(service.port);
    const command = [...final.filter((i) => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD')].map((i) => JSON.parse(i.args) as string[]);
    const script = command.flat().find((part) => /\.(m?js)$/.test(part));
    expect(script).toBeDefined();
    // A built file (dist/x.js) exists once its TypeScript source does.
    const source = script!.replace(/\/dist\/(.*)\.js$/, '/src/$1.ts');
    expect(exists(source), `${script} (${source})`).toBe(true);
  });

  it('listens on all interfaces on the contract port, and the port variable is the service’s own', () => {
    const env = envOf(final);
    const hostVariable = service.portVariable.replace('_PORT', '_HOST');
    expect(env[hostVariable]).toBe('0.0.0.0');
    expect(env[service.portVariable]).toBe(String(service.port));
    const expose = final.find((i) => i.keyword === 'EXPOSE');
    expect(expose?.args).toBe(String(service.port));
    const known = envNamesIn(service.configSources);
    for (const variable of Object.keys(env).filter((key) => key !== 'NODE_ENV')) {
      expect(known, `${variable} is not read by ${service.configSources.join(', ')}`).toContain(variable);
    }
  });

  it('bakes in no secret', () => {
    for (const instruction of instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      const names = instruction.args.split(/\s+/).map((pair) => pair.split('=')[0]!);
      for (const variable of names) expect(variable, `${service.dockerfile}:${instruction.line}`).not.toMatch(SECRET_NAME);
    }
    const copies = instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => contextSources(i.args));
    for (const source of copies) expect(source).not.toMatch(/(^|\/)\.env$|\.pem$|keys?\.json$/);
  });
});

describe('.dockerignore', () => {
  it('keeps host installs, build output, git and local secrets out of the build context', () => {
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env', '**/*.pem']) expect(ignored).toContain(pattern);
  });
});

describe('demo-web runtime image', () => {
  const CONTRACT = /^@oracle-ai\/contract(\/graceful-shutdown)?$/;
  const importsOf = (file: string): string[] => [...read(file).matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

  it('needs one package: the server imports Node built-ins, its own files and @oracle-ai/contract', () => {
    const files = ['demo-web/server.mjs', ...readServerDir()];
    for (const file of files) {
      for (const name of importsOf(file)) expect(name, `${file} imports ${name}`).toMatch(new RegExp(`^(node:|\\.\\.?/)|${CONTRACT.source}`));
    }
  });

  it('carries that package, which itself needs nothing but Node', () => {
    const runtime = read('demo-web/Dockerfile').split(/^FROM /m).at(-1) ?? '';
    expect(runtime).toMatch(/^COPY --from=build \/app\/contract\/package\.json contract\/$/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/contract\/dist contract\/dist$/m);
    expect(runtime).toMatch(/ln -s \.\.\/\.\.\/contract node_modules\/@oracle-ai\/contract/);
    const manifest = JSON.parse(read('contract/package.json')) as { dependencies?: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
    const sources = readdirSync(path.join(ROOT, 'contract', 'src')).filter((f) => f.endsWith('.ts')).map((f) => `contract/src/${f}`);
    for (const file of sources) {
      for (const name of importsOf(file)) expect(name, `${file} imports ${name}`).toMatch(/^(node:|\.\.?\/)/);
    }
  });
});

function readServerDir(): string[] {
  if (!exists('demo-web/server')) return [];
  return readdirSync(path.join(ROOT, 'demo-web', 'server'))
    .filter((file) => /\.m?js$/.test(file))
    .map((file) => `demo-web/server/${file}`);
}
