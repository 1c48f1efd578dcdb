/**
 * Requests checked against schema.json (PDP_SCHEMA_ENFORCE's check): every offending attribute,
 * claim, context entry and action property by JSON pointer, in the words of the one error mapper;
 * compiled once per loaded set.
 */
import { describe, expect, it } from 'vitest';
import type { PolicySet } from '../src/engine/types.js';
import { checkPolicySources } from '../src/policy/loader.js';
import { MAX_REPORTED_ERRORS } from '../src/policy/request.js';
import { AUTHZEN_POINTERS, batchItemPointers, requestCheckFor, type RequestAttributeCheck } from '../src/policy/request-attributes.js';

const SCHEMA = {
  resources: {
    chat: {
      attributes: {
        status: { type: 'string', enum: ['open', 'archived'] },
        size: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
        owner: { type: 'object', properties: { id: { type: 'string' } } },
      },
    },
    analytics: { additionalAttributes: true },
  },
  claims: { attributes: { account_status: { type: 'string', enum: ['active', 'suspended'] } } },
  actionProperties: { attributes: { method: { type: 'string' } } },
};

function setWith(schema: unknown): PolicySet {
  const result = checkPolicySources({
    policies: [{ file: 'p.json', text: JSON.stringify({ id: 'p', resource: 'chat', rules: [{ id: 'r', effect: 'allow', actions: ['read'] }] }) }],
    ...(schema === undefined ? {} : { schema: { file: 'schema.json', text: JSON.stringify(schema) } }),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policySet;
}

const set = setWith(SCHEMA);
const check = requestCheckFor(set) as RequestAttributeCheck;
const request = (extra: Record<string, unknown> = {}, attributes?: unknown, claims?: unknown) => ({
  subject: { id: 'alice', ...(claims === undefined ? {} : { claims }) },
  resource: { type: 'chat', ...(attributes === undefined ? {} : { attributes }) },
  action: 'read',
  ...extra,
});

describe('the request check of an attribute schema', () => {
  it('accepts a request that conforms, and one that sends no attributes at all', () => {
    expect(check(request({ actionProperties: { method: 'GET' } }, { status: 'open', size: 3, tags: ['a'], owner: { id: 'bob' } }, { account_status: 'active' }))).toEqual([]);
    expect(check(request())).toEqual([]);
  });

  it('names each offending attribute by pointer, with the nearest declared name or value', () => {
    const errors = check(request({}, { stauts: 'open', size: 2.5, tags: ['a', 1], owner: { id: 'bob', name: 'Bob' } }, { account_status: 'Suspended' }));
    expect(errors).toEqual([
      { pointer: '/resource/attributes/stauts', detail: 'is not declared in schema.json; did you mean "status"?' },
      { pointer: '/resource/attributes/size', detail: 'must be an integer' },
      { pointer: '/resource/attributes/tags/1', detail: 'must be a string' },
      { pointer: '/resource/attributes/owner/name', detail: 'is not declared in schema.json' },
      { pointer: '/subject/claims/account_status', detail: 'must be one of "active", "suspended"; did you mean "suspended"?' },
    ]);
  });

  it('reports a resource type the schema does not declare', () => {
    expect(check({ ...request(), resource: { type: 'chats', attributes: { x: 1 } } })).toEqual([
      { pointer: '/resource/type', detail: 'is not a resource type declared in schema.json; did you mean "chat"?' },
    ]);
  });

  it('lets a type with additionalAttributes carry anything', () => {
    expect(check({ ...request(), resource: { type: 'analytics', attributes: { anything: [1, { a: 2 }] } } })).toEqual([]);
  });

  it('checks action properties when declared, and leaves the context alone when it is not', () => {
    expect(check(request({ actionProperties: { method: 5, verb: 'x' }, context: { whatever: true } }))).toEqual([
      { pointer: '/actionProperties/verb', detail: 'is not declared in schema.json' },
      { pointer: '/actionProperties/method', detail: 'must be a string' },
    ]);
  });

  it('checks the context when declared', () => {
    const strict = requestCheckFor(setWith({ ...SCHEMA, context: { attributes: { hour: { type: 'integer' } } } })) as RequestAttributeCheck;
    expect(strict(request({ context: { hour: '9' } }))).toEqual([{ pointer: '/context/hour', detail: 'must be an integer' }]);
  });

  it('speaks in the pointers of the API that asked: AuthZEN properties, batch items', () => {
    expect(check(request({ actionProperties: { method: 1 } }, { size: 'x' }, { account_status: 'x' }), AUTHZEN_POINTERS).map((e) => e.pointer)).toEqual([
      '/resource/properties/size',
      '/subject/properties/account_status',
      '/action/properties/method',
    ]);
    expect(check(request({ actionProperties: { method: 1 } }, { size: 'x' }), batchItemPointers(3)).map((e) => e.pointer)).toEqual([
      '/items/3/resource/attributes/size',
      '/items/3/actionProperties/method',
    ]);
  });

  it('never mutates the request, and treats a __proto__ key (as JSON.parse makes it) as an undeclared attribute', () => {
    const attributes = JSON.parse('{"__proto__": {"status": "open"}, "status": "open"}') as Record<string, unknown>;
    const req = Object.freeze(request({}, Object.freeze(attributes)));
    expect(check(req)).toEqual([{ pointer: '/resource/attributes/__proto__', detail: 'is not declared in schema.json' }]);
  });

  it(`reports at most ${MAX_REPORTED_ERRORS} problems`, () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`a${i}`, i]));
    expect(check(request({}, many, many))).toHaveLength(MAX_REPORTED_ERRORS);
  });

  it('is compiled once per set, and absent without a schema', () => {
    expect(requestCheckFor(set)).toBe(check);
    expect(requestCheckFor(setWith(undefined))).toBeNull();
  });
});
