import { describe, expect, it } from 'vitest';
import { attributeRows, subjectText } from './rule-text';

describe('subjectText', () => {
  it.each([
    [undefined, 'anyone'],
    [{}, 'anyone'],
    [{ roles: { anyOf: ['ai-user'] } }, 'roles: any of ai-user'],
    [{ groups: { allOf: ['a', 'b'] }, roles: { anyOf: ['x'] } }, 'groups: all of a, b; roles: any of x'],
  ])('%j reads %s', (subject, text) => {
    expect(subjectText(subject)).toBe(text);
  });
});

describe('attributeRows', () => {
  it('lists each declared attribute by the path a condition reads it with', () => {
    const rows = attributeRows({
      resources: { chat: { description: 'The chat.' }, doc: { attributes: { owner: { type: 'string' }, meta: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } } } } },
      claims: { attributes: { account_status: { type: 'string', enum: ['active', 'suspended'], description: 'Set by the IdP.' } } },
      context: { attributes: { hour: { type: 'integer' } } },
    });
    expect(rows).toEqual([
      { of: 'claims', path: 'subject.claims.account_status', type: 'string, one of "active", "suspended"', description: 'Set by the IdP.' },
      { of: 'doc resources', path: 'resource.attributes.owner', type: 'string' },
      { of: 'doc resources', path: 'resource.attributes.meta', type: 'object' },
      { of: 'doc resources', path: 'resource.attributes.meta.tags', type: 'array of string' },
      { of: 'context', path: 'context.hour', type: 'integer' },
    ]);
  });
});
