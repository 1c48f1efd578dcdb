// `PDP_CLIENT_TOKEN` or the PDP's own `PDP_CLIENT_TOKENS`: npm start hands the token it was given
// to the PDP and to demo-api, or says why it cannot, never silently making up another one.
import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../scripts/lib/stack.mjs';
import { ROOT } from './launcher.js';

function tokensGiven(env: Record<string, string>) {
  const config = readStackConfig(env, ROOT);
  const envOf = (name: string) => config.services.find((service) => service.name === name)!.env as Record<string, string>;
  return { chosen: config.pdpTokenChosen, pdp: envOf('pdp')['PDP_CLIENT_TOKENS'], api: envOf('api')['PDP_CLIENT_TOKEN'] };
}

describe('the PDP caller token of npm start', () => {
  it.each([
    [{ PDP_CLIENT_TOKEN: 'dev-token' }],
    [{ PDP_CLIENT_TOKENS: 'dev-token' }],
    [{ PDP_CLIENT_TOKENS: ' dev-token, ' }],
    [{ PDP_CLIENT_TOKEN: 'dev-token', PDP_CLIENT_TOKENS: 'dev-token' }],
  ])('%o reaches the PDP and demo-api as it was given', (env) => {
    expect(tokensGiven(env)).toEqual({ chosen: true, pdp: 'dev-token', api: 'dev-token' });
  });

  it('without either, a random one for this run, the same for both', () => {
    const { chosen, pdp, api } = tokensGiven({});
    expect(chosen).toBe(false);
    expect(pdp).toMatch(/^[\w-]{40,}$/);
    expect(api).toBe(pdp);
  });

  it.each([
    [{ PDP_CLIENT_TOKENS: 'one,two' }, /lists several tokens.*set PDP_CLIENT_TOKEN=<token>/],
    [{ PDP_CLIENT_TOKEN: 'one', PDP_CLIENT_TOKENS: 'two' }, /both set, to different tokens/],
  ])('%o is refused, naming what to set', (env, message) => {
    expect(() => readStackConfig(env, ROOT)).toThrow(message);
  });
});
