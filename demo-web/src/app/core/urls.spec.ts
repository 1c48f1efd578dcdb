import { isHttpUrl, isOwnApiUrl, safeReturnUrl } from './urls';

const ORIGIN = 'http://127.0.0.1:4200';

describe('isOwnApiUrl: only this origin’s /api gets the token', () => {
  it.each([
    ['/api/me', true],
    ['/api', true],
    ['api/me', true], // relative: resolves against the origin root, so /api/me
    [`${ORIGIN}/api/chat`, true],
    ['/apiary', false],
    ['/assets/api/x', false],
    ['//evil.example/api/me', false],
    ['https://evil.example/api/me', false],
    ['http://127.0.0.1:4201/api/me', false],
    ['http://localhost:4200/api/me', false],
  ])('%s -> %s', (url, expected) => {
    expect(isOwnApiUrl(url, ORIGIN)).toBe(expected);
  });
});

describe('safeReturnUrl keeps the return address inside the app', () => {
  it.each([
    ['/chat', '/chat'],
    ['/analytics?x=1#y', '/analytics?x=1#y'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/auth/callback?code=x', '/'],
    ['', '/'],
    [null, '/'],
  ])('%s -> %s', (input, expected) => {
    expect(safeReturnUrl(input)).toBe(expected);
  });
});

describe('isHttpUrl refuses non-http navigation targets', () => {
  it.each([
    ['http://127.0.0.1:9000/auth?x=1', true],
    ['https://idp.example/authorize', true],
    ['javascript:alert(1)', false],
    ['data:text/html,hi', false],
    ['/relative', false],
    [42, false],
  ])('%s -> %s', (input, expected) => {
    expect(isHttpUrl(input)).toBe(expected);
  });
});
