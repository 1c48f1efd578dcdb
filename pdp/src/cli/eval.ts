import { readFile } from 'node:fs/promises';
import { compile } from '../engine/compile.js';
import { decide } from '../engine/decide.js';
import type { DecisionRequest } from '../engine/types.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { parseJson } from '../policy/json.js';
import { loadPolicies } from '../policy/loader.js';
import { getValidators, schemaIssues } from '../policy/schemas.js';
import { flag, parse, str, UsageError } from './args.js';
import type { CliIo } from './output.js';

/**
 * `pdp eval --policies DIR --input FILE|- [--explain]`: prints the decision (with the revision)
 * as JSON. The input is a decide request; an `"explain": true` in it works like --explain.
 */
export async function runEval(argv: string[], io: CliIo): Promise<number> {
  const args = parse(
    argv,
    { policies: { type: 'string' }, input: { type: 'string' }, explain: { type: 'boolean' } },
    { min: 0, max: 0 },
  );
  const policies = str(args, 'policies');
  const input = str(args, 'input');
  if (policies === undefined) throw new UsageError('eval needs --policies DIR');
  if (input === undefined) throw new UsageError('eval needs --input FILE (or - for stdin)');

  let text: string;
  try {
    text = input === '-' ? await io.readStdin() : await readFile(input, 'utf8');
  } catch (err) {
    io.err(io.errStyle.red(`cannot read ${input}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
    return 1;
  }
  const inputName = input === '-' ? '<stdin>' : input;
  const parsed = parseJson(text);
  const issues = [...parsed.issues];
  let request: unknown;
  let explain = flag(args, 'explain');
  if (parsed.ok && issues.length === 0) {
    request = parsed.value;
    if (typeof request === 'object' && request !== null && !Array.isArray(request) && 'explain' in request) {
      const { explain: wanted, ...rest } = request as Record<string, unknown>;
      if (typeof wanted !== 'boolean') issues.push({ pointer: '/explain', message: 'must be boolean' });
      explain ||= wanted === true;
      request = rest;
    }
    const validate = getValidators().request;
    if (validate(request) !== true) issues.push(...schemaIssues(validate.errors));
  }
  if (issues.length > 0) {
    for (const issue of issues) io.err(formatPolicyError({ file: inputName, ...issue }));
    return 1;
  }

  const loaded = await loadPolicies(policies);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(formatPolicyError(namingDir(error, policies)));
    io.err(io.errStyle.red(`invalid policy set in ${policies}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}`));
    return 1;
  }
  const compiled = compile(loaded.policySet);
  const decision = decide(compiled, request as DecisionRequest, { explain });
  const { allow, effect, reasons, explain: trace } = decision;
  io.out(JSON.stringify({ allow, effect, reasons, revision: compiled.revision, ...(trace ? { explain: trace } : {}) }, null, 2));
  return 0;
}
