import type { PolicyError } from './loader.js';

/**
 * One error as one line, `FILE:JSON-POINTER: message` (the pointer is empty for the whole file),
 * the form `pdp check` prints and editors' problem matchers can parse. Given `dir`, an error about
 * the directory itself (file `.`) names it, so `pdp check /typo` does not print a bare `.`.
 */
export function formatPolicyError(error: PolicyError, dir?: string): string {
  const file = error.file === '.' && dir !== undefined ? dir : error.file;
  return `${file}:${error.pointer}: ${error.message}`;
}
