import { chmod, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatPolicyError } from '../policy/format.js';
import { formatFile, jsonFilesUnder, unformattedFiles } from '../policy/fmt.js';
import { flag, parse, UsageError } from './args.js';
import type { CliIo } from './output.js';

/**
 * Replaces a file's text through a dot-file and a rename: `pdp serve` watching the directory
 * reloads the old text or the new, never half of it (the loader skips dot-files). The mode is
 * kept.
 */
async function replaceText(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.fmt`);
  const { mode } = await stat(file);
  try {
    await writeFile(temp, text, { flag: 'wx' });
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/**
 * `pdp fmt PATH… [--check]`: rewrites each policy, roles, schema, data and test file under the
 * paths in the one layout. With --check nothing is written: the files that would change are
 * listed. Exit 0 when every file is (now) formatted, 1 when --check found one that is not or a
 * file could not be read or parsed (reported, never rewritten).
 */
export async function runFmt(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv, { check: { type: 'boolean' } }, { min: 0, max: Infinity });
  if (args.positionals.length === 0) throw new UsageError('fmt needs a policy directory or file: pdp fmt DIR|FILE…');
  const check = flag(args, 'check');
  const files: string[] = [];
  let broken = 0;
  for (const path of args.positionals) {
    try {
      files.push(...(await jsonFilesUnder(path)));
    } catch (err) {
      io.out(formatPolicyError({ file: path, pointer: '', message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})` }));
      broken++;
    }
  }
  let changed = 0;
  for (const file of [...new Set(files)]) {
    const result = await formatFile(file);
    if ('errors' in result) {
      for (const error of result.errors) io.out(formatPolicyError({ file, ...error }));
      broken++;
      continue;
    }
    if (result.formatted === result.text) continue;
    changed++;
    if (check) io.out(file);
    else {
      await replaceText(file, result.formatted);
      io.out(`formatted ${file}`);
    }
  }
  const s = io.errStyle;
  const plural = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;
  if (broken > 0) io.err(s.red(`${plural(broken)} could not be formatted (not rewritten)`));
  if (check && changed > 0) io.err(s.red(`${plural(changed)} not formatted; run pdp fmt ${args.positionals.join(' ')}`));
  else if (!check && changed > 0) io.err(`${plural(changed)} formatted`);
  return broken > 0 || (check && changed > 0) ? 1 : 0;
}

/**
 * The data files `pdp check`'s hint formats, in all: formatting takes about a second per few MB,
 * and a check must stay quick. `pdp fmt --check` looks at every file.
 */
export const HINT_MAX_DATA_BYTES = 256 * 1024;

/**
 * `pdp check`'s hint: the files under a policy directory that are not in the one layout (every
 * policy, roles, schema and test file; data files up to {@link HINT_MAX_DATA_BYTES}). A hint on
 * stderr, never a failure: layout does not change what the PDP decides.
 */
export async function hintUnformatted(dir: string, io: CliIo): Promise<void> {
  let files: string[];
  try {
    // A bundle file (not a directory) has no layout of its own to keep.
    if (!(await stat(dir)).isDirectory()) return;
    files = await unformattedFiles(dir, { maxDataBytes: HINT_MAX_DATA_BYTES });
  } catch {
    return;
  }
  if (files.length === 0) return;
  const shown = files.slice(0, 5).join(', ');
  io.err(io.errStyle.dim(`hint: ${files.length} file${files.length === 1 ? ' is' : 's are'} not formatted (${shown}${files.length > 5 ? ', …' : ''}); run pdp fmt ${dir}`));
}
