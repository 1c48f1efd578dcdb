import type { PolicyError } from './loader.js';

/**
 * One error as one line, `FILE:JSON-POINTER: message` (the pointer is empty for the whole file),
 * the form `pdp check` prints and editors' problem matchers can parse. One argument only, so
 * `errors.map(formatPolicyError)` works.
 */
export function formatPolicyError(error: PolicyError): string {
  return `${error.file}:${error.pointer}: ${error.message}`;
}

/** An error about the directory itself (file `.`) names `dir`, so `pdp check /typo` does not print a bare `.`. */
export function namingDir(error: PolicyError, dir: string): PolicyError {
  return error.file === '.' ? { ...error, file: dir } : error;
}
