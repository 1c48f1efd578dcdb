// npm start gives one PDP caller token to both the PDP and demo-api. The PDP's own variable is
// PDP_CLIENT_TOKENS (a list); someone who knows it sets that one, and it must not be ignored.

/** The comma-separated tokens of `value`, blanks dropped. */
function tokensOf(value) {
  return String(value ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/**
 * The PDP caller token this run was given, from PDP_CLIENT_TOKEN or PDP_CLIENT_TOKENS, or
 * undefined (then the launcher makes one up). Throws, naming what to set, when the two
 * disagree or PDP_CLIENT_TOKENS lists more than the one caller npm start runs.
 */
export function chosenClientToken(env) {
  const single = env.PDP_CLIENT_TOKEN || undefined;
  const list = tokensOf(env.PDP_CLIENT_TOKENS);
  if (list.length > 1) {
    throw new Error('PDP_CLIENT_TOKENS lists several tokens, but npm start runs one PDP caller (demo-api): set PDP_CLIENT_TOKEN=<token> instead');
  }
  if (single !== undefined && list.length === 1 && list[0] !== single) {
    throw new Error('PDP_CLIENT_TOKEN and PDP_CLIENT_TOKENS are both set, to different tokens: set only PDP_CLIENT_TOKEN');
  }
  return single ?? list[0];
}
