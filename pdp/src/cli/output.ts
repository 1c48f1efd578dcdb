/**
 * Terminal output: colour only when writing to a TTY (and NO_COLOR is unset), decided once by
 * the CLI's entry point and passed down.
 */
import { isDefaultDeny } from '../engine/decide.js';
import type { Decision, RuleTrace, WouldAllow } from '../engine/types.js';

export interface Style {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const COLOUR: Style = { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
const same = (text: string): string => text;
export const PLAIN: Style = { red: same, green: same, yellow: same, dim: same, bold: same };

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Style for stdout / stderr. */
  style: Style;
  errStyle: Style;
  readStdin(): Promise<string>;
}

function mark(style: Style, value: boolean | null): string {
  if (value === null) return style.dim('–');
  return value ? style.green('✓') : style.red('✗');
}

/** One line per rule of an explain trace. */
export function formatTrace(style: Style, rules: readonly RuleTrace[], indent: string): string[] {
  if (rules.length === 0) return [`${indent}${style.dim('(no rule for this resource type)')}`];
  const width = Math.max(...rules.map((r) => r.policy.length + r.rule.length + 1));
  return rules.map((r) => {
    const name = `${r.policy}/${r.rule}`.padEnd(width);
    const outcome = r.applied ? style.bold(`applied (${r.effect})`) : style.dim('not applied');
    const error = r.error === undefined ? '' : ` ${style.red(`error: ${r.error}`)}`;
    return `${indent}${name}  ${r.effect.padEnd(5)}  actions ${mark(style, r.actionMatched)}  subject ${mark(style, r.subjectMatched)}  when ${mark(style, r.whenResult)}  ${outcome}${error}`;
  });
}

/** A decision in one line: effect and reasons. */
export function formatDecisionSummary(decision: Decision): string {
  const only = decision.reasons.length === 1 ? decision.reasons[0] : undefined;
  if (only !== undefined && isDefaultDeny(only)) return `${decision.effect} (${only.message ?? 'default deny'})`;
  const reasons = decision.reasons.map((r) => {
    const name = r.policy === '' ? '(request)' : `${r.policy}/${r.rule}`;
    return r.code === undefined ? name : `${name} [${r.code}${r.message === undefined ? '' : `: ${r.message}`}]`;
  });
  return `${decision.effect} by ${reasons.join(', ')}`;
}

/** One line per entry of `explain.wouldAllow`, or one saying nothing would. */
export function formatWouldAllow(style: Style, entries: readonly WouldAllow[], indent: string): string[] {
  if (entries.length === 0) return [`${indent}${style.dim('no group or role would allow this request')}`];
  return entries.map((e) => {
    const parts: string[] = [];
    if (e.groups.length > 0) parts.push(`groups: ${e.groups.join(', ')}`);
    if (e.roles.length > 0) parts.push(`roles: ${e.roles.join(', ')}`);
    return `${indent}would allow with ${parts.join('; ')} ${style.dim(`(${e.policy}/${e.rule})`)}`;
  });
}
