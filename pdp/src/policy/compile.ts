/**
 * The library's `compile`: a policy set the loader produced compiles as it is (it was checked
 * once, and frozen); any other set, built by hand, first goes through the same checker as the
 * loader's, so an empty or misspelt subject matcher can never widen a rule to everyone in silence.
 */
import { compile, type CompiledPolicySet } from '../engine/compile.js';
import type { CheckedPolicySet, PolicySet } from '../engine/types.js';
import { checkPolicySet, isCheckedPolicySet, type PolicyError } from './check.js';
import { formatPolicyError } from './format.js';
import { PdpError } from '../common/errors.js';

/** Thrown by `compilePolicySet` for a set the loader would refuse; `problems` lists every one. */
export class InvalidPolicySetError extends PdpError {
  readonly problems: readonly PolicyError[];
  constructor(errors: readonly PolicyError[]) {
    super('invalid_policy_set', `invalid policy set: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${errors.map(formatPolicyError).join('\n')}`);
    this.name = 'InvalidPolicySetError';
    this.problems = errors;
  }
}

/** Compiles a policy set for `decide`; throws {@link InvalidPolicySetError} for one the loader would refuse. */
export function compilePolicySet(set: PolicySet): CompiledPolicySet {
  if (isCheckedPolicySet(set)) return compile(set);
  const errors = checkPolicySet(set);
  if (errors.length > 0) throw new InvalidPolicySetError(errors);
  // Checked just now, and compile reads it synchronously: it cannot change in between.
  return compile(set as CheckedPolicySet);
}
