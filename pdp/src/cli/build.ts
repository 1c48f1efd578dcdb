import { rename, rm, writeFile } from 'node:fs/promises';
import { buildBundle } from '../bundle/build.js';
import { readSigningKey, type SigningKey } from '../bundle/keys.js';
import { messageWithCauses } from '../common/errors.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { parse, str, UsageError } from './args.js';
import type { CliIo } from './output.js';

/**
 * `pdp build DIR -o FILE [--sign KEY] [--kid ID]`: packs a valid policy directory into a bundle
 * (docs/bundles.md). FILE is written next to itself and renamed into place, so a server watching
 * it, or a web server serving it, never reads half a bundle. Exit 0 built, 1 invalid directory or key.
 */
export async function runBuild(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv, { output: { type: 'string', short: 'o' }, sign: { type: 'string' }, kid: { type: 'string' }, policies: { type: 'string' } }, { min: 0, max: 1 });
  const dir = args.positionals[0] ?? str(args, 'policies');
  const output = str(args, 'output');
  if (dir === undefined) throw new UsageError('build needs a policy directory: pdp build DIR -o FILE');
  if (output === undefined) throw new UsageError('build needs -o FILE (or -o - for stdout)');
  const keyFile = str(args, 'sign');
  if (str(args, 'kid') !== undefined && keyFile === undefined) throw new UsageError('--kid names the signing key: give --sign KEY too');

  let key: SigningKey | undefined;
  if (keyFile !== undefined) {
    try {
      key = await readSigningKey(keyFile, str(args, 'kid'));
    } catch (err) {
      io.err(io.errStyle.red(`cannot use the signing key ${keyFile}: ${messageWithCauses(err)}`));
      return 1;
    }
  }
  const built = await buildBundle(dir, { ...(key ? { key } : {}) });
  if (!built.ok) {
    for (const error of built.errors) io.err(formatPolicyError(namingDir(error, dir)));
    io.err(io.errStyle.red(`not built: ${built.errors.length} error${built.errors.length === 1 ? '' : 's'} in ${dir}`));
    return 1;
  }
  const text = `${JSON.stringify(built.bundle)}\n`;
  if (output === '-') {
    io.out(text.trimEnd());
  } else {
    const temp = `${output}.${process.pid}.tmp`;
    try {
      await writeFile(temp, text);
      await rename(temp, output);
    } catch (err) {
      await rm(temp, { force: true });
      io.err(io.errStyle.red(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
      return 1;
    }
  }
  const b = built.bundle;
  const signed = key === undefined ? 'unsigned' : `signed ${key.alg}, kid ${key.kid}`;
  // On stderr when the bundle itself goes to stdout.
  (output === '-' ? io.err : io.out)(`${io.style.green('built')} ${output === '-' ? '<stdout>' : output}: ${b.manifest.length} files, ${Buffer.byteLength(text)} bytes, ${signed}; revision ${b.revision}`);
  return 0;
}
