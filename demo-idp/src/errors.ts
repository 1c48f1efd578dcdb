/** Stable codes for everything demo-idp refuses at start. */
export type IdpErrorCode = 'config_invalid' | 'users_invalid' | 'keys_invalid';

/** A typed start-up error: the message lists every problem found, not just the first. */
export class IdpError extends Error {
  readonly code: IdpErrorCode;

  constructor(code: IdpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdpError';
    this.code = code;
  }
}
