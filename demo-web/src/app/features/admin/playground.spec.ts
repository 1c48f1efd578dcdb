import { describe, expect, it } from 'vitest';
import type { PlaygroundRequest, PolicySummary } from '@oracle-ai/contract';
import { traceRows, valueAt } from './playground';

const request: PlaygroundRequest = {
  subject: { id: 'alice', groups: ['oracle-ai-users'], claims: { account_status: 'active' } },
  resource: { type: 'chat', attributes: { room: 'r1' } },
  action: 'read',
};

describe('valueAt', () => {
  it.each([
    ['subject.claims.account_status', '"active"'],
    ['subject.claims.missing', '(absent)'],
    ['subject.roles', '["ai-user"]'],
    ['resource.attributes.room', '"r1"'],
    ['action', '"read"'],
    ['action.name', '"read"'],
    ['context.hour', '(absent)'],
    ['subject.claims.constructor', '(absent)'],
  ])('%s reads %s', (path, value) => {
    expect(valueAt(request, ['ai-user'], path)).toBe(value);
  });
});

describe('traceRows', () => {
  const policies: PolicySummary[] = [
    {
      id: 'chat',
      resource: 'chat',
      file: 'chat.json',
      rules: [
        { id: 'members', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['ai-user'] } } },
        { id: 'suspended', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'subject.claims.account_status' }, 'suspended'] } },
      ],
    },
  ];

  it('writes each traced rule out from the loaded policies, with the values its condition read', () => {
    const rows = traceRows(
      [
        { policy: 'chat', rule: 'members', effect: 'allow', actionMatched: true, subjectMatched: true, whenResult: null, applied: true },
        { policy: 'chat', rule: 'suspended', effect: 'deny', actionMatched: true, subjectMatched: true, whenResult: false, applied: false },
      ],
      policies,
      request,
      ['ai-user'],
    );
    expect(rows).toEqual([
      { id: 'chat/members', effect: 'allow', actionMatched: true, subjectMatched: true, who: 'roles: any of ai-user', condition: null, whenResult: null, values: [], applied: true },
      {
        id: 'chat/suspended',
        effect: 'deny',
        actionMatched: true,
        subjectMatched: true,
        who: 'anyone',
        condition: 'subject.claims.account_status = "suspended"',
        whenResult: false,
        values: ['subject.claims.account_status = "active"'],
        applied: false,
      },
    ]);
  });
});
