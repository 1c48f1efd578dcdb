/**
 * Policy tests (`DIR/tests/*.json`): load and check the test files, run every case through the
 * engine with explain on, compare with what each case expects, and measure which rules no case
 * exercised. The runner is pure; only `loadPolicyTests` reads files.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isObject } from '../common/objects.js';
import { decide, isDefaultDeny } from '../engine/decide.js';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { Decision, DecisionRequest, PolicySet } from '../engine/types.js';
import { parseJson } from './json.js';
import { readJsonEntry, TESTS_DIR, type PolicyError } from './loader.js';
import { TOKEN_NEEDS_SERVER } from './request.js';
import { getValidators, schemaIssues } from './schemas.js';

export interface PolicyTestExpectation {
  allow: boolean;
  /** `<policy>/<rule>` of exactly the reasons the decision must give, in any order. */
  reasons?: string[];
  /**
   * Reason codes that must appear (e.g. `evaluation_error`); when absent, no reason may carry a
   * code, `default_deny` aside: `reasons: []` already asserts a default deny, as it always has.
   */
  codes?: string[];
  /** Exactly the derived roles, in any order. */
  roles?: string[];
  /** Where the input does not fit schema.json, for a case that means it (checked by `pdp test`). */
  schemaErrors?: string[];
}

export interface PolicyTestCase {
  name: string;
  description?: string;
  input: DecisionRequest;
  expect: PolicyTestExpectation;
}

export interface PolicyTestFile {
  /** Relative to the policy directory, e.g. `tests/chat.json`. */
  file: string;
  cases: PolicyTestCase[];
}

export type LoadTestsResult = { ok: true; files: PolicyTestFile[] } | { ok: false; errors: PolicyError[] };

export interface CaseResult {
  file: string;
  index: number;
  name: string;
  pass: boolean;
  /** What did not match, one line each; empty when the case passed. */
  mismatches: string[];
  expected: PolicyTestExpectation;
  /** The decision, with its explain trace. */
  actual: Decision;
}

export interface PolicyTestReport {
  passed: number;
  failed: number;
  total: number;
  cases: CaseResult[];
  coverage: RuleCoverage & {
    /** The same figures for each policy, in policy-set order. */
    byPolicy: (RuleCoverage & { policy: string })[];
  };
}

export interface RuleCoverage {
  rules: number;
  exercised: number;
  /** 0–100, one decimal, rounded down (so 99.96% never reads as 100%). */
  percent: number;
  /** `<policy>/<rule>` of each rule that applied in no case, in policy-set order. */
  unexercised: string[];
}

function coverageOf(all: readonly string[], applied: ReadonlySet<string>): RuleCoverage {
  const unexercised = all.filter((k) => !applied.has(k));
  const exercised = all.length - unexercised.length;
  return { rules: all.length, exercised, percent: all.length === 0 ? 100 : Math.floor((exercised / all.length) * 1000) / 10, unexercised };
}

const ruleKey = (policy: string, rule: string): string => `${policy}/${rule}`;

/**
 * Reads `DIR/tests/*.json`. Reports every problem (JSON, schema, duplicate case names, expected
 * reasons or roles that name nothing in the policy set) with file and pointer.
 */
export async function loadPolicyTests(dir: string, policySet: PolicySet): Promise<LoadTestsResult> {
  const entries: { file: string; read: { text: string } | { error: string } }[] = [];
  if (await stat(dir).then((s) => s.isFile(), () => false)) {
    // A bundle (pdp build) carries the directory's tests; loadPolicies has verified it already.
    const { readBundleFile } = await import('../bundle/read.js');
    const bundle = await readBundleFile(dir);
    for (const { file, text } of bundle.ok ? bundle.tests : []) entries.push({ file, read: { text } });
  } else {
    const testsDir = join(dir, TESTS_DIR);
    const names = await readdir(testsDir).then((n) => n.sort(), () => [] as string[]);
    for (const name of names) {
      const read = await readJsonEntry(testsDir, name);
      if (read !== null) entries.push({ file: `${TESTS_DIR}/${name}`, read });
    }
  }
  const errors: PolicyError[] = [];
  const files: PolicyTestFile[] = [];
  const validate = getValidators().policyTest;
  const knownRules = new Set<string>();
  for (const p of policySet.policies) for (const r of p.rules) knownRules.add(ruleKey(p.id, r.id));

  for (const { file, read } of entries) {
    if ('error' in read) {
      errors.push({ file, pointer: '', message: read.error });
      continue;
    }
    const parsed = parseJson(read.text);
    for (const issue of parsed.issues) errors.push({ file, ...issue });
    if (!parsed.ok) continue;
    const valid: boolean = validate(parsed.value);
    if (!valid) for (const issue of schemaIssues(validate.errors)) errors.push({ file, ...issue });
    // Beyond the schema, check whatever is well-formed, so one run reports every problem.
    const doc = parsed.value as { cases?: unknown };
    const cases: unknown[] = typeof doc === 'object' && doc !== null && Array.isArray(doc.cases) ? doc.cases : [];
    const seen = new Map<string, number>();
    cases.forEach((item, i) => {
      if (typeof item !== 'object' || item === null) return;
      const c = item as { name?: unknown; input?: unknown; expect?: { reasons?: unknown; roles?: unknown } };
      if (isObject(c.input) && Object.hasOwn(c.input, 'token')) errors.push({ file, pointer: `/cases/${i}/input/token`, message: TOKEN_NEEDS_SERVER });
      if (typeof c.name === 'string') {
        const first = seen.get(c.name);
        if (first !== undefined) errors.push({ file, pointer: `/cases/${i}/name`, message: `duplicate case name "${c.name}" (also /cases/${first})` });
        else seen.set(c.name, i);
      }
      const reasons = Array.isArray(c.expect?.reasons) ? (c.expect.reasons as unknown[]) : [];
      reasons.forEach((reason, j) => {
        if (typeof reason === 'string' && !knownRules.has(reason)) errors.push({ file, pointer: `/cases/${i}/expect/reasons/${j}`, message: `no rule "${reason}" in the policy set` });
      });
      const roles = Array.isArray(c.expect?.roles) ? (c.expect.roles as unknown[]) : [];
      roles.forEach((role, j) => {
        if (typeof role === 'string' && !Object.hasOwn(policySet.roles, role)) errors.push({ file, pointer: `/cases/${i}/expect/roles/${j}`, message: `no role "${role}" in roles.json` });
      });
    });
    if (valid) files.push({ file, cases: cases as PolicyTestCase[] });
  }
  if (errors.length === 0 && files.length === 0) {
    errors.push({ file: TESTS_DIR, pointer: '', message: 'no test files (tests/*.json) to run' });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

const list = (items: readonly string[]): string => `[${items.join(', ')}]`;

/** Compares one decision with a case's expectation; returns the mismatches. */
export function compareDecision(expected: PolicyTestExpectation, actual: Decision): string[] {
  const mismatches: string[] = [];
  if (actual.allow !== expected.allow) mismatches.push(`allow: expected ${expected.allow}, got ${actual.allow}`);
  const reasons = actual.reasons.filter((r) => r.policy !== '').map((r) => ruleKey(r.policy, r.rule));
  if (expected.reasons !== undefined && !sameSet(expected.reasons, reasons)) {
    mismatches.push(`reasons: expected ${list(expected.reasons)}, got ${list(reasons)}`);
  }
  const codes = actual.reasons.flatMap((r) => (r.code === undefined ? [] : [r.code]));
  if (expected.codes !== undefined) {
    const missing = expected.codes.filter((c) => !codes.includes(c));
    if (missing.length > 0) mismatches.push(`codes: expected ${list(expected.codes)}, got ${list([...new Set(codes)])}`);
  } else if (actual.reasons.some((r) => r.code !== undefined && !isDefaultDeny(r))) {
    // A reason names its rule whether the rule applied or threw, so without this a case expecting
    // "denied by the suspension rule" would pass when that rule merely failed on the input.
    mismatches.push(`codes: expected none, got ${list([...new Set(codes)])}`);
  }
  const roles = actual.explain?.roles ?? [];
  if (expected.roles !== undefined && !sameSet(expected.roles, roles)) {
    mismatches.push(`roles: expected ${list(expected.roles)}, got ${list(roles)}`);
  }
  return mismatches;
}

/** Runs every case with explain on and measures rule coverage (a rule is exercised when it applied in some case). */
export function runPolicyTests(compiled: CompiledPolicySet, files: readonly PolicyTestFile[]): PolicyTestReport {
  const applied = new Set<string>();
  const cases: CaseResult[] = [];
  for (const { file, cases: fileCases } of files) {
    fileCases.forEach((c, index) => {
      const actual = decide(compiled, c.input, { explain: true });
      for (const trace of actual.explain?.rules ?? []) if (trace.applied) applied.add(ruleKey(trace.policy, trace.rule));
      const mismatches = compareDecision(c.expect, actual);
      cases.push({ file, index, name: c.name, pass: mismatches.length === 0, mismatches, expected: c.expect, actual });
    });
  }
  const byPolicy = compiled.policySet.policies.map((p) => ({ policy: p.id, ...coverageOf(p.rules.map((r) => ruleKey(p.id, r.id)), applied) }));
  const all = compiled.policySet.policies.flatMap((p) => p.rules.map((r) => ruleKey(p.id, r.id)));
  const passed = cases.filter((c) => c.pass).length;
  return {
    passed,
    failed: cases.length - passed,
    total: cases.length,
    cases,
    coverage: { ...coverageOf(all, applied), byPolicy },
  };
}
