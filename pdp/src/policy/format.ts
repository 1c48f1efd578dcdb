import type { PolicyError } from './loader.js';

/**
 * One error as one line, `FILE:JSON-POINTER: message` (the pointer is empty for the whole file),
 * the form `pdp check` prints and editors' problem matchers can parse.
 */
export function formatPolicyError(error: PolicyError): string {
  return `${error.file}:${error.pointer}: ${error.message}`;
}
