import { stat } from 'node:fs/promises';
import { messageWithCauses } from '../common/errors.js';
import { compile } from '../engine/compile.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { loadPolicies, type LoadOptions, type LoadResult } from '../policy/loader.js';
import { flag, parse, str, UsageError } from './args.js';
import { hintUnformatted } from './fmt.js';
import type { CliIo } from './output.js';

/**
 * The load `pdp serve` would do: with `--public-key`, the bundle must be signed by one of the
 * key file's keys, read as PDP_BUNDLE_PUBLIC_KEY is, so the errors are the ones a replica reports.
 * A key that cannot be used is an error on the key file, not a check without it.
 */
async function load(dir: string, keyFile: string | undefined): Promise<LoadResult> {
  if (keyFile === undefined) return loadPolicies(dir);
  // A directory carries no signature: a key given for one would be silently ignored.
  if (await stat(dir).then((s) => s.isDirectory(), () => false)) {
    throw new UsageError(`--public-key verifies a bundle's signature, and ${dir} is a policy directory: pdp check BUNDLE --public-key KEY`);
  }
  let options: LoadOptions;
  try {
    // Imported on demand, as the loader does: jose stays out of a plain check.
    const { readPublicKeys } = await import('../bundle/keys.js');
    options = { bundleKeys: await readPublicKeys(keyFile) };
  } catch (err) {
    return { ok: false, errors: [{ file: keyFile, pointer: '', message: `cannot be used as a bundle public key: ${messageWithCauses(err)}` }] };
  }
  return loadPolicies(dir, options);
}

/** `pdp check DIR|BUNDLE [--json] [--public-key KEY]`: 0 when the set is valid, 1 with one line per error. */
export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv, { json: { type: 'boolean' }, policies: { type: 'string' }, 'public-key': { type: 'string' } }, { min: 0, max: 1 });
  const dir = args.positionals[0] ?? str(args, 'policies');
  const json = flag(args, 'json');
  if (dir === undefined) throw new UsageError('check needs a policy directory: pdp check DIR');
  const result = await load(dir, str(args, 'public-key'));
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
