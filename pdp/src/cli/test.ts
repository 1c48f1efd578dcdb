import { compile } from '../engine/compile.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { loadPolicies, type PolicyError } from '../policy/loader.js';
import { loadPolicyTests, runPolicyTests, type PolicyTestReport } from '../policy/testing.js';
import { flag, parse, str, UsageError } from './args.js';
import { formatDecisionSummary, formatTrace, type CliIo } from './output.js';
import { schemaEnforceOption, schemaErrorsOf } from './schema-check.js';
import type { SchemaEnforceMode } from '../policy/request-attributes.js';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { PolicyTestFile } from '../policy/testing.js';
import { rerunOnChange, type WatchOptions } from './watch.js';

/** Exit codes of `pdp test`, distinct so CI can tell a broken policy set from a failing case. */
export const TEST_EXIT = { pass: 0, fail: 1, invalid: 2 } as const;

function printInvalid(io: CliIo, json: boolean, stage: 'policies' | 'tests', errors: PolicyError[], dir: string): number {
  if (json) {
    io.out(JSON.stringify({ ok: false, stage, errors }, null, 2));
  } else {
    for (const error of errors) io.out(formatPolicyError(stage === 'policies' ? namingDir(error, dir) : error));
    io.err(io.errStyle.red(`invalid ${stage === 'policies' ? 'policy set' : 'test files'} in ${dir}: ${errors.length} error${errors.length === 1 ? '' : 's'}`));
  }
  return TEST_EXIT.invalid;
}

function printReport(io: CliIo, report: PolicyTestReport, revision: string): void {
  const s = io.style;
  let lastFile = '';
  for (const c of report.cases) {
    if (c.file !== lastFile) {
      io.out(s.bold(c.file));
      lastFile = c.file;
    }
    if (c.pass) {
      io.out(`  ${s.green('✓')} ${c.name}`);
      for (const m of c.mismatches) io.out(`      ${s.yellow(m)}`);
      continue;
    }
    io.out(`  ${s.red('✗')} ${c.name}`);
    for (const m of c.mismatches) io.out(`      ${s.red(m)}`);
    io.out(`      decision: ${formatDecisionSummary(c.actual)}`);
    io.out(`      roles: ${c.actual.explain?.roles.length ? c.actual.explain.roles.join(', ') : s.dim('(none)')}`);
    io.out('      trace:');
    for (const line of formatTrace(s, c.actual.explain?.rules ?? [], '        ')) io.out(line);
  }
  io.out('');
  const summary = `${report.passed} passed, ${report.failed} failed, ${report.total} cases`;
  io.out(report.failed === 0 ? s.green(summary) : s.red(summary));
  const cov = report.coverage;
  const coverage = `rule coverage: ${cov.exercised}/${cov.rules} (${cov.percent}%)`;
  io.out(cov.unexercised.length === 0 ? s.green(coverage) : s.yellow(coverage));
  if (cov.byPolicy.length > 1) {
    const width = Math.max(...cov.byPolicy.map((p) => p.policy.length));
    for (const p of cov.byPolicy) {
      const line = `  ${p.policy.padEnd(width)}  ${p.exercised}/${p.rules} (${p.percent}%)`;
      io.out(p.unexercised.length === 0 ? line : s.yellow(line));
    }
  }
  if (cov.unexercised.length > 0) {
    io.out('rules no case exercised:');
    for (const rule of cov.unexercised) io.out(`  ${s.yellow(rule)}`);
  }
  io.out(s.dim(`revision ${revision}`));
}

/**
 * A case whose input does not fit the set's schema.json fails (reject, the default: a test should
 * send the requests callers really send), one line per field with its pointer in the test file,
 * unless the case lists exactly those pointers in `expect.schemaErrors` (a request that does not
 * fit, sent on purpose). `warn` only prints the lines; `off` skips the check.
 */
function checkInputs(report: PolicyTestReport, compiled: CompiledPolicySet, files: readonly PolicyTestFile[], mode: SchemaEnforceMode): PolicyTestReport {
  const inputs = new Map(files.map((f) => [f.file, f.cases]));
  let failed = 0;
  const cases = report.cases.map((c) => {
    const errors = schemaErrorsOf(compiled.policySet, inputs.get(c.file)?.[c.index]?.input, mode);
    const expected = new Set(c.expected.schemaErrors ?? []);
    const found = new Set(errors.map((e) => e.pointer));
    const lines = [
      ...errors.filter((e) => !expected.has(e.pointer)).map((e) => `input does not fit schema.json: ${c.file}:/cases/${c.index}/input${e.pointer}: ${e.detail}`),
      ...(mode === 'off' ? [] : [...expected].filter((p) => !found.has(p)).map((p) => `expected the input not to fit schema.json at ${p}, but it does`)),
    ].map((line) => (mode === 'reject' ? line : `warning: ${line}`));
    const pass = c.pass && (mode !== 'reject' || lines.length === 0);
    if (!pass) failed++;
    return lines.length === 0 ? c : { ...c, pass, mismatches: [...c.mismatches, ...lines] };
  });
  return { ...report, cases, failed, passed: report.total - failed };
}

/** `--min-coverage PCT`: a number from 0 to 100. */
function minCoverageOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const pct = Number(value.endsWith('%') ? value.slice(0, -1) : value);
  if (value.trim() === '' || !Number.isFinite(pct) || pct < 0 || pct > 100) throw new UsageError(`--min-coverage must be a percentage from 0 to 100, not "${value}"`);
  return pct;
}

/**
 * `pdp test DIR [--json] [--schema-enforce MODE] [--min-coverage PCT] [--watch]`: 0 all pass, 1 a
 * case failed or rule coverage is below PCT, 2 invalid policies or test files. With --watch it runs
 * again on every change until stopped (`watch.signal`, else Ctrl-C), and exits with the last run's code.
 */
export async function runTest(argv: string[], io: CliIo, watch: WatchOptions = {}): Promise<number> {
  const args = parse(
    argv,
    { json: { type: 'boolean' }, policies: { type: 'string' }, 'schema-enforce': { type: 'string' }, 'min-coverage': { type: 'string' }, watch: { type: 'boolean' } },
    { min: 0, max: 1 },
  );
  const enforce = schemaEnforceOption(args, 'reject');
  const dir = args.positionals[0] ?? str(args, 'policies');
  if (dir === undefined) throw new UsageError('test needs a policy directory: pdp test DIR');
  const minCoverage = minCoverageOf(str(args, 'min-coverage'));
  if (flag(args, 'watch')) return rerunOnChange(dir, () => runTest(argv.filter((a) => a !== '--watch'), io), io, watch);
  const json = flag(args, 'json');

  const loaded = await loadPolicies(dir);
  if (!loaded.ok) return printInvalid(io, json, 'policies', loaded.errors, dir);
  const tests = await loadPolicyTests(dir, loaded.policySet);
  if (!tests.ok) return printInvalid(io, json, 'tests', tests.errors, dir);

  const compiled = compile(loaded.policySet);
  const report = checkInputs(runPolicyTests(compiled, tests.files), compiled, tests.files, enforce);
  const covered = minCoverage === undefined || report.coverage.percent >= minCoverage;
  if (json) {
    io.out(JSON.stringify({ ok: report.failed === 0 && covered, revision: compiled.revision, ...(minCoverage === undefined ? {} : { minCoverage }), ...report }, null, 2));
  } else {
    printReport(io, report, compiled.revision);
  }
  if (!covered) io.err(io.errStyle.red(`rule coverage ${report.coverage.percent}% is below the minimum of ${minCoverage}%`));
  return report.failed === 0 && covered ? TEST_EXIT.pass : TEST_EXIT.fail;
}
