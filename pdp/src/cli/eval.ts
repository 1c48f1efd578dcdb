import { readFile } from 'node:fs/promises';
import { isObject } from '../common/objects.js';
import { compile } from '../engine/compile.js';
import { decide } from '../engine/decide.js';
import type { DecisionRequest } from '../engine/types.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { parseJson } from '../policy/json.js';
import { loadPolicies } from '../policy/loader.js';
import { checkRequest, TOKEN_NEEDS_SERVER } from '../policy/request.js';
import { schemaEnforceOption, schemaErrorsOf } from './schema-check.js';
import { flag, parse, str, UsageError } from './args.js';
import { formatWouldAllow, type CliIo } from './output.js';

/**
 * `pdp eval --policies DIR --input FILE|- [--explain] [--schema-enforce MODE]`: prints the decision
 * (with the revision) as JSON. The input is a `POST /v1/decide` body, checked by the same contract
 * (checkRequest); an `"explain": true` in it works like --explain. A `token` is refused: only the
 * server verifies one. Attributes that do not fit the set's schema.json are treated as the server
 * treats them under PDP_SCHEMA_ENFORCE: warn (the default) prints them and adds `schemaErrors` to
 * the decision, reject prints them and exits 1 without a decision, off skips the check. An
 * explained deny's `wouldAllow` is also printed for people on stderr, so stdout stays one JSON
 * document.
 */
export async function runEval(argv: string[], io: CliIo): Promise<number> {
  const args = parse(
    argv,
    { policies: { type: 'string' }, input: { type: 'string' }, explain: { type: 'boolean' }, 'schema-enforce': { type: 'string' } },
    { min: 0, max: 0 },
  );
  const policies = str(args, 'policies');
  const input = str(args, 'input');
  if (policies === undefined) throw new UsageError('eval needs --policies DIR');
  if (input === undefined) throw new UsageError('eval needs --input FILE (or - for stdin)');
  const enforce = schemaEnforceOption(args, 'warn');

  let text: string;
  try {
    text = input === '-' ? await io.readStdin() : await readFile(input, 'utf8');
  } catch (err) {
    io.err(io.errStyle.red(`cannot read ${input}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
    return 1;
  }
  const inputName = input === '-' ? '<stdin>' : input;
  const parsed = parseJson(text);
  const issues: { pointer: string; message: string }[] = [...parsed.issues];
  if (parsed.ok && issues.length === 0) {
    // The request contract of POST /v1/decide, word for word; a token alone cannot be verified here.
    for (const { pointer, detail } of checkRequest(parsed.value)) issues.push({ pointer, message: detail });
    if (issues.length === 0 && isObject(parsed.value) && Object.hasOwn(parsed.value, 'token')) issues.push({ pointer: '/token', message: TOKEN_NEEDS_SERVER });
  }
  if (!parsed.ok || issues.length > 0) {
    for (const issue of issues) io.err(formatPolicyError({ file: inputName, ...issue }));
    return 1;
  }
  const request = parsed.value as DecisionRequest & { explain?: boolean };
  const explain = flag(args, 'explain') || request.explain === true;

  const loaded = await loadPolicies(policies);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(formatPolicyError(namingDir(error, policies)));
    io.err(io.errStyle.red(`invalid policy set in ${policies}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}`));
    return 1;
  }
  const schemaErrors = schemaErrorsOf(loaded.policySet, request, enforce);
  for (const { pointer, detail } of schemaErrors) io.err(formatPolicyError({ file: inputName, pointer, message: detail }));
  if (schemaErrors.length > 0 && enforce === 'reject') {
    io.err(io.errStyle.red(`refused: the input does not fit the policies' schema.json (--schema-enforce reject)`));
    return 1;
  }
  const compiled = compile(loaded.policySet);
  const decision = decide(compiled, request, { explain });
  const { allow, effect, reasons, explain: trace } = decision;
  io.out(JSON.stringify({ allow, effect, reasons, revision: compiled.revision, ...(trace ? { explain: trace } : {}), ...(schemaErrors.length > 0 ? { schemaErrors } : {}) }, null, 2));
  if (trace?.wouldAllow !== undefined) for (const line of formatWouldAllow(io.errStyle, trace.wouldAllow, '')) io.err(line);
  return 0;
}
