import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SKIP_DIRS = new Set(['node_modules', '.angular', 'test-output', 'coverage', '.git']);

/** Newest modification time (ms) of any file under `target`, or 0 when it does not exist. */
export function newestMtime(target) {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

/**
 * True when `output` is missing or older than any of `inputs`. An output directory counts by
 * its newest file, since a build rewrites every file it emits.
 */
export function isStale(output, inputs) {
  const built = newestMtime(output);
  if (built === 0) return true;
  return inputs.some((input) => newestMtime(input) > built);
}

/** What must be (re)built before the services start. */
export function planBuild(root) {
  const ts = ['pdp', 'demo-idp', 'demo-api'].filter((ws) =>
    isStale(path.join(root, ws, 'dist'), [path.join(root, ws, 'src'), path.join(root, ws, 'tsconfig.json')]),
  );
  const web = isStale(path.join(root, 'demo-web', 'dist'), [
    path.join(root, 'demo-web', 'src'),
    path.join(root, 'demo-web', 'angular.json'),
    path.join(root, 'demo-web', 'package.json'),
  ]);
  return { ts, web };
}

/** Runs `npm run <script>` at the root with inherited output; rejects on a non-zero exit. */
export function runNpmScript(root, script) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return new Promise((resolve, reject) => {
    const child = spawn(npm, ['run', script], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`npm run ${script} failed (${signal ?? `exit code ${code}`}); fix the build error above`));
    });
  });
}
