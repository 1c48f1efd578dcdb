import { compile } from '../engine/compile.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { loadPolicies } from '../policy/loader.js';
import { flag, parse, str, UsageError } from './args.js';
import { hintUnformatted } from './fmt.js';
import type { CliIo } from './output.js';

/** `pdp check DIR [--json]`: 0 when the set is valid, 1 with one line per error. */
export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv, { json: { type: 'boolean' }, policies: { type: 'string' } }, { min: 0, max: 1 });
  const dir = args.positionals[0] ?? str(args, 'policies');
  const json = flag(args, 'json');
  if (dir === undefined) throw new UsageError('check needs a policy directory: pdp check DIR');
  const result = await loadPolicies(dir);
  if (!json) await hintUnformatted(dir, io);
  if (!result.ok) {
    if (json) io.out(JSON.stringify({ ok: false, errors: result.errors }, null, 2));
    else for (const error of result.errors) io.out(formatPolicyError(namingDir(error, dir)));
    if (!json) io.err(io.errStyle.red(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in ${dir}`));
    return 1;
  }
  const set = result.policySet;
  compile(set);
  const rules = set.policies.reduce((n, p) => n + p.rules.length, 0);
  const roles = Object.keys(set.roles).length;
  if (json) {
    io.out(JSON.stringify({ ok: true, revision: set.revision, policies: set.policies.length, rules, roles }, null, 2));
  } else {
    io.out(`${io.style.green('ok')}: ${set.policies.length} policies, ${rules} rules, ${roles} roles; revision ${set.revision}`);
  }
  return 0;
}
