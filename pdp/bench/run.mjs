// `npm run bench -w pdp [-- --quick]`: the engine benchmark, the HTTP benchmark, then decisions during a large reload, then bundles (build, load, publish to in force). Each runs in
// its own process (the engine one with --expose-gc so its heap figures are after a collection)
// and gets this script's arguments (--quick, --rounds N, --pin, ...; see http.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
if (!existsSync(here('../dist/index.js'))) {
  console.error('pdp is not built: run `npm run build -w pdp` first');
  process.exit(2);
}

const runs = [['engine.mjs', ['--expose-gc']], ['http.mjs', []], ['reload.mjs', []], ['bundle.mjs', []]];
let failed = false;
for (const [file, flags] of runs) {
  if (!existsSync(here(file))) {
    console.log(`(${file} not present, skipped)`);
    continue;
  }
  console.log(`\n== ${file} ==`);
  const result = spawnSync(process.execPath, [...flags, here(file), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
