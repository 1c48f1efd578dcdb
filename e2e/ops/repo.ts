// Reads the repository's deployment files and the services' configuration sources, so the
// ops tests compare them with what the code really accepts.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const read = (relative: string): string => readFileSync(path.join(ROOT, relative), 'utf8');
export const exists = (relative: string): boolean => existsSync(path.join(ROOT, relative));

export function yamlFile<T = unknown>(relative: string): T {
  return parse(read(relative), { merge: true }) as T;
}

export function yamlDocuments(relative: string): unknown[] {
  return parseAllDocuments(read(relative)).map((doc) => doc.toJS({}));
}

/** The service each deployment file configures, and the modules that read its environment. */
export const SERVICES = {
  'demo-idp': { dockerfile: 'demo-idp/Dockerfile', configSources: ['demo-idp/src/config.ts'], portVariable: 'IDP_PORT', port: 9000 },
  pdp: { dockerfile: 'pdp/Dockerfile', configSources: ['pdp/src/runtime/config.ts', 'pdp/src/token/config.ts', 'pdp/src/bundle/settings.ts'], portVariable: 'PDP_PORT', port: 8181 },
  'demo-api': { dockerfile: 'demo-api/Dockerfile', configSources: ['demo-api/src/config.ts'], portVariable: 'API_PORT', port: 3000 },
  'demo-web': { dockerfile: 'demo-web/Dockerfile', configSources: ['demo-web/server/config.mjs'], portVariable: 'WEB_PORT', port: 4200 },
} as const;
export type ServiceName = keyof typeof SERVICES;

/**
 * Every environment variable name a service's configuration code mentions (string literals and
 * `env.NAME` accesses in upper snake case). A name in a deployment file that is not here is
 * one the service would silently ignore.
 */
export function envNamesIn(relativeSources: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const source of relativeSources) {
    const text = read(source);
    for (const match of text.matchAll(/['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"`]/g)) names.add(match[1]!);
    for (const match of text.matchAll(/\benv\??\.([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)) names.add(match[1]!);
  }
  return names;
}

export interface Instruction {
  stage: string;
  keyword: string;
  args: string;
  line: number;
}

/** A Dockerfile as instructions (continuation lines joined), each tagged with its stage. */
export function dockerfile(relative: string): Instruction[] {
  const lines = read(relative).split('\n');
  const instructions: Instruction[] = [];
  let stage = '';
  let buffer = '';
  let start = 0;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (buffer === '' && (line === '' || line.startsWith('#'))) return;
    if (buffer === '') start = index + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const [keyword = '', ...rest] = buffer.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const as = /\bAS\s+(\S+)/i.exec(args);
      stage = as ? as[1]! : args;
    }
    instructions.push({ stage, keyword: keyword.toUpperCase(), args, line: start });
    buffer = '';
  });
  return instructions;
}

export function stages(instructions: Instruction[]): string[] {
  return [...new Set(instructions.filter((i) => i.keyword === 'FROM').map((i) => i.stage))];
}

/** `KEY=value KEY2=value2` or `KEY value` (ENV syntax) into a record. */
export function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructions.filter((i) => i.keyword === 'ENV')) {
    if (!instruction.args.includes('=')) {
      const [key = '', ...value] = instruction.args.split(/\s+/);
      env[key] = value.join(' ');
      continue;
    }
    for (const pair of instruction.args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** Top-level policy files the PDP serves (tests/ holds policy tests, not policies). */
/** The data files of policies/data/, by file name. */
export function dataFiles(): string[] {
  return readdirSync(path.join(ROOT, 'policies', 'data'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
}

export function policyFiles(): string[] {
  return readdirSync(path.join(ROOT, 'policies'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
}
