#!/usr/bin/env node
// `npm test`: build, typecheck, then every workspace's tests in the order package.json lists them.
// It goes on past a failing workspace, as `npm run test --workspaces` does, and ends with a
// summary of what failed: a CI log is often read from its end, and the failing lines of an early
// workspace are otherwise thousands of lines above it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// Lines worth repeating at the end: vitest's failed tests (each FAIL block, with its message, diff
// and source line, up to the separator vitest prints after it), its failed-test marks and
// totals, node:test's "not ok", unhandled errors, and what tsc and the Angular build call an error.
// ANSI colours are stripped before matching.
const MARK = /^\s*(×|✗|✖|not ok\b|Unhandled\b|Errors\b.*\berrors?\b|Test Files\b.*\bfailed\b|Tests\b.*\bfailed\b|❯ .*\bfailed\))|\berror TS\d+:|\[ERROR\]/;
const BLOCK_START = /^\s*FAIL\s|Unhandled (Errors?|Rejection)/;
const BLOCK_END = /⎯\[\d+\/\d+\]⎯/;
const BLOCK_LINES = 24;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const KEEP = 160;

/** Runs `npm run <script> [args]`, streaming its output, and keeps the lines that name a failure. */
function run(label, args) {
  return new Promise((resolve) => {
    // Piped output is not a terminal; keep the colours a developer would see without this runner.
    const env = process.stdout.isTTY && !('FORCE_COLOR' in process.env) ? { ...process.env, FORCE_COLOR: '1' } : process.env;
    const child = spawn(npm, ['run', ...args], { cwd: root, env, stdio: ['inherit', 'pipe', 'pipe'] });
    const kept = [];
    let block = 0;
    const watch = (source, sink) => {
      let partial = '';
      source.setEncoding('utf8');
      source.on('data', (chunk) => {
        sink.write(chunk);
        const text = partial + chunk;
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const plain = line.replace(ANSI, '').trimEnd();
          if (BLOCK_START.test(plain)) block = BLOCK_LINES;
          else if (BLOCK_END.test(plain)) block = 0;
          const keep = block > 0 || MARK.test(plain);
          if (block > 0) block -= 1;
          if (keep && plain !== '' && kept.length < KEEP) kept.push(plain);
        }
      });
    };
    watch(child.stdout, process.stdout);
    watch(child.stderr, process.stderr);
    child.on('close', (code, signal) => resolve({ label, code: code ?? 1, signal, kept }));
  });
}

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
// `npm test -- pdp demo-api` runs the tests of those workspaces only (after the same build).
const only = process.argv.slice(2);
const unknown = only.filter((ws) => !pkg.workspaces.includes(ws));
if (unknown.length > 0) {
  console.error(`npm test: no such workspace: ${unknown.join(', ')} (there are ${pkg.workspaces.join(', ')})`);
  process.exit(2);
}
const workspaces = pkg.workspaces.filter((ws) => {
  if (only.length > 0 && !only.includes(ws)) return false;
  const scripts = JSON.parse(readFileSync(path.join(root, ws, 'package.json'), 'utf8')).scripts ?? {};
  return typeof scripts.test === 'string';
});

const started = Date.now();
const results = [];
for (const step of [{ label: 'build', args: ['build'] }, { label: 'typecheck', args: ['typecheck'] }]) {
  const result = await run(step.label, step.args);
  results.push(result);
  // Tests of a tree that does not build or typecheck say nothing useful.
  if (result.code !== 0) break;
}
if (results.every((r) => r.code === 0)) {
  for (const ws of workspaces) results.push(await run(ws, ['test', '-w', ws]));
}

const failed = results.filter((r) => r.code !== 0);
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`\nnpm test: ${results.length - failed.length} of ${results.length} steps passed in ${seconds} s`);
for (const r of results) {
  console.log(`  ${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.label}${r.code === 0 ? '' : ` (exit ${r.signal ?? r.code})`}`);
}
for (const r of failed) {
  console.log(`\nwhat ${r.label} printed of its failures${r.kept.length === KEEP ? ` (the first ${KEEP} lines)` : ''}:`);
  for (const line of r.kept) console.log(`  ${line}`);
}
process.exitCode = failed.length === 0 ? 0 : 1;
