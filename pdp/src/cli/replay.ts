import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { compile } from '../engine/compile.js';
import { formatPolicyError, namingDir } from '../policy/format.js';
import { loadPolicies } from '../policy/loader.js';
import { replayLog, type ReplayChanges, type ReplayExample, type ReplayReport } from '../policy/replay.js';
import { flag, parse, str, UsageError } from './args.js';
import type { CliIo } from './output.js';

/** 0: no decision widens (or --allow-widening); 1: some deny became allow; 2: the candidate or the log could not be read. */
export const REPLAY_EXIT = { ok: 0, widened: 1, invalid: 2 } as const;

const decided = (d: ReplayExample['recorded']): string => (d.reasons.length === 0 ? `${d.effect} (no rule applies)` : `${d.effect} by ${d.reasons.join(', ')}`);

function printChanges(io: CliIo, title: string, changes: ReplayChanges, paint: (t: string) => string): void {
  io.out(changes.count === 0 ? `${title}: 0` : paint(`${title}: ${changes.count}`));
  if (changes.count === 0) return;
  const column = (groups: ReplayChanges['byRule']): void => {
    const width = Math.max(...groups.map((g) => g.key.length));
    for (const g of groups) io.out(`      ${g.key.padEnd(width)}  ${g.count}`);
  };
  io.out('    by deciding rule now:');
  column(changes.byRule);
  io.out('    by subject, resource type, action:');
  column(changes.byRequest);
  io.out('    examples:');
  for (const e of changes.examples) {
    io.out(`      line ${e.line}${e.decisionId === undefined ? '' : ` (${e.decisionId})`}: ${e.subject} ${e.resource} ${e.action}`);
    io.out(`        recorded:  ${decided(e.recorded)}`);
    io.out(`        candidate: ${paint(decided(e.candidate))}`);
  }
}

function printReport(io: CliIo, report: ReplayReport, widening: boolean): void {
  const s = io.style;
  const recorded = report.recordedRevisions.map((r) => `${r.key} ×${r.count}`).join(', ');
  io.out(`replayed ${report.replayed} of ${report.decisions} decisions against revision ${report.revision}${recorded === '' ? '' : s.dim(` (recorded with ${recorded})`)}`);
  io.out(`  unchanged: ${report.unchanged}${report.reasonsChanged > 0 ? ` (${report.reasonsChanged} decided by other rules, same effect)` : ''}`);
  printChanges(io, '  allow → deny (narrowed)', report.narrowed, s.yellow);
  printChanges(io, `  deny → allow (widened${widening ? ', allowed by --allow-widening' : ''})`, report.widened, s.red);
  const nr = report.notReplayable;
  io.out(`  not replayable: ${nr.count}${nr.count === 0 ? '' : ` (no input ${nr.by.no_input}, refused at the token ${nr.by.token_refused}, invalid input ${nr.by.invalid_input}, malformed line ${nr.by.invalid_line})`}`);
  for (const e of nr.examples) io.out(s.dim(`      line ${e.line}${e.decisionId === undefined ? '' : ` (${e.decisionId})`}: ${e.why}`));
  io.out(`  uncertain (an input field was redacted): ${report.uncertain.count}`);
  for (const e of report.uncertain.examples) io.out(s.dim(`      line ${e.line}${e.decisionId === undefined ? '' : ` (${e.decisionId})`}: ${e.why}`));
}

/**
 * `pdp replay --policies CANDIDATE --log FILE|- [--json] [--allow-widening]`: re-decides the
 * decision log's requests against the candidate and reports what changed.
 */
export async function runReplay(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv, { policies: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean' }, 'allow-widening': { type: 'boolean' } }, { min: 0, max: 0 });
  const policies = str(args, 'policies');
  const log = str(args, 'log');
  if (policies === undefined) throw new UsageError('replay needs --policies CANDIDATE (a policy directory)');
  if (log === undefined) throw new UsageError('replay needs --log FILE (a decision log; - for stdin)');
  const json = flag(args, 'json');
  const widening = flag(args, 'allow-widening');

  const loaded = await loadPolicies(policies);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(formatPolicyError(namingDir(error, policies)));
    io.err(io.errStyle.red(`invalid policy set in ${policies}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}`));
    return REPLAY_EXIT.invalid;
  }
  let report: ReplayReport;
  try {
    const lines = log === '-' ? (await io.readStdin()).split('\n') : createInterface({ input: createReadStream(log), crlfDelay: Infinity });
    report = await replayLog(lines, compile(loaded.policySet));
  } catch (err) {
    io.err(io.errStyle.red(`cannot read ${log}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
    return REPLAY_EXIT.invalid;
  }
  if (report.decisions === 0) {
    // Most likely the wrong file (or the decision log was off): a gate that replayed nothing must not pass.
    io.err(io.errStyle.red(`no decision lines (kind "decision") in ${log === '-' ? '<stdin>' : log}`));
    return REPLAY_EXIT.invalid;
  }
  const failed = report.widened.count > 0 && !widening;
  if (json) io.out(JSON.stringify({ ok: !failed, ...report }, null, 2));
  else printReport(io, report, widening);
  if (report.replayed === 0) io.err(io.errStyle.yellow('no decision in the log could be replayed: nothing was compared'));
  if (failed) io.err(io.errStyle.red(`${report.widened.count} decision${report.widened.count === 1 ? '' : 's'} would change from deny to allow (pass --allow-widening if that is intended)`));
  return failed ? REPLAY_EXIT.widened : REPLAY_EXIT.ok;
}
