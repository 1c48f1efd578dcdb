/**
 * The test suite's reference model of a decision, shared by the property tests of the engine
 * (property.test.ts) and of the query planner (plan-property.test.ts): generators of random policy
 * sets, roles, data files and requests, and a plain reference evaluator written here (no index,
 * json-logic-js on a sanitised copy of the request, its own walk of the data files), independent
 * of the engine's code.
 */
import fc from 'fast-check';
import jsonLogicModule from 'json-logic-js';
import type { CheckedPolicySet, DataFiles, Decision, DecisionReason, DecisionRequest, Policy, PolicySet, RoleDefinition, Rule } from '../src/engine/types.js';
import { checkPolicySources } from '../src/policy/loader.js';

const jsonLogic = jsonLogicModule as unknown as { apply(logic: unknown, data: unknown): unknown; truthy(v: unknown): boolean };

// ---------- generators ----------

const GROUPS = ['g1', 'g2', 'g3', 'g4'];
/**
 * The seed of the cases a coverage check counts. A property test that asserts which kinds of case
 * its generators reach (every plan kind, enough conditional plans) runs half its cases from this
 * seed and counts those, then half from a random seed, to keep exploring: what a few hundred
 * random cases reach varies from run to run, and a check on it would fail at random.
 */
export const COVERAGE_SEED = 20261201;

export const ACTIONS = ['read', 'write', 'delete'];
export const TYPES = ['doc', 'img'];
const ROLE_NAMES = ['r0', 'r1', 'r2', 'r3'];
const IDS = ['alice', 'bob', ''];

const nameList = (pool: string[]) => fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: 3 });
const matcher = (pool: string[]) =>
  fc
    .record({ anyOf: nameList(pool), allOf: nameList(pool) }, { requiredKeys: [] })
    .filter((m) => Object.keys(m).length > 0);

/** Request values, including ones that make json-logic-js operators throw, and keys a data lookup must not follow. */
const leaf = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, 1, 5, 10, '', 'x', 'alice', 'bob', '3', ['x', 'y'], [], '__proto__', 'constructor', 'toString', 'g1', -1, 1.5),
  fc.constantFrom<unknown>({ toString: 1 }, { indexOf: 1 }, { valueOf: 1, toString: 1 }, {}),
  fc.integer({ min: -5, max: 20 }),
);

/** What a policy may write as a literal: no objects (json-logic would read one as an operation). */
const literal = leaf.filter((x) => typeof x !== 'object' || x === null || Array.isArray(x));

export const PATHS = [
  'subject.id',
  'subject.type',
  'subject.claims.level',
  'subject.claims.tags',
  'subject.groups',
  'subject.groups.length',
  'subject.roles',
  'resource.id',
  'resource.attributes.owner',
  'resource.attributes.n',
  'resource.attributes.toString',
  'resource.attributes.list.0',
  'action',
  'action.name',
  'action.properties.method',
  'action.properties.toString',
  'context.flag',
  'context.hour',
  'context.hasOwnProperty',
];
const ROLE_PATHS = PATHS.filter((p) => !p.startsWith('subject.roles'));

/** Data files: users by id (a legitimate `toString` entity, and keys a bad number would name, among them), groups by name. */
const DATA_FILES = ['users', 'groups'];
const USER_KEYS = [...IDS, 'toString', '0', '-1', '1.5'];
const entity = fc.record(
  { roles: fc.subarray([...ROLE_NAMES, 'x']), level: leaf, tags: fc.constantFrom(['a', 'b'], 'ab', []), group: fc.constantFrom('g1', 'g2', 'nope', 0), title: fc.constantFrom('r1x', 'r1') },
  { requiredKeys: [] },
);
const optionalKeys = <T>(keys: string[], value: fc.Arbitrary<T>) => fc.record(Object.fromEntries(keys.map((k) => [k, value])), { requiredKeys: [] });
export const dataArb: fc.Arbitrary<DataFiles> = fc
  .record({ users: optionalKeys(USER_KEYS, entity), groups: optionalKeys(GROUPS, fc.record({ members: fc.subarray(IDS), level: leaf }, { requiredKeys: [] })) })
  .map((d) => JSON.parse(JSON.stringify(d)) as DataFiles);

/**
 * A `data` lookup: an entity key first (literal, a `var` that often holds one, or a nested lookup
 * of a user's group), then field names, indexes or `var`s. Biased so that lookups find entities
 * often enough for a wrong value to change decisions.
 */
function dataLookupArb(paths: string[]): fc.Arbitrary<unknown> {
  const vars = fc.constantFrom(...paths).map((p) => ({ var: p }));
  const idVars = fc.constantFrom(...paths.filter((p) => ['subject.id', 'resource.id', 'resource.attributes.owner', 'context.hour', 'subject.claims.level'].includes(p))).map((p) => ({ var: p }));
  const field = fc.oneof(fc.constantFrom<unknown>('roles', 'level', 'tags', 'group', 'members', 'title', 'toString', 'length', 0, 1), vars);
  // '' is a valid data key but no valid literal segment: only a var (subject.id "") reaches it.
  const userKey = fc.oneof(fc.constantFrom<unknown>(...USER_KEYS.filter((k) => k !== '')), idVars);
  const users = fc.tuple(userKey, fc.array(field, { maxLength: 2 })).map(([key, rest]) => ({ data: ['users', key, ...rest] }));
  const groupKey = fc.oneof(fc.constantFrom<unknown>(...GROUPS), fc.constant({ data: ['users', { var: 'subject.id' }, 'group'] }));
  const groups = fc.tuple(groupKey, fc.array(field, { maxLength: 2 })).map(([key, rest]) => ({ data: ['groups', key, ...rest] }));
  return fc.oneof(users, groups);
}

function logicArb(paths: string[]): fc.Arbitrary<unknown> {
  const v = fc.oneof(
    fc.constantFrom(...paths).map((p) => ({ var: p })),
    fc.tuple(fc.constantFrom(...paths), literal).map(([p, d]) => ({ var: [p, d] })),
    dataLookupArb(paths),
  );
  const operand = fc.oneof(v, literal);
  const { expr } = fc.letrec<{ expr: unknown }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(true),
      fc.tuple(fc.constantFrom('==', '!=', '===', '<', '>=', 'in'), operand, operand).map(([op, a, b]) => ({ [op]: [a, b] })),
      fc.tuple(fc.constantFrom('cat', '+', 'substr', 'max'), operand, operand).map(([op, a, b]) => ({ '==': [{ [op]: [a, b] }, 'x1'] })),
      v.map((x) => ({ '!!': x })),
      tie('expr').map((e) => ({ '!': e })),
      fc.tuple(fc.constantFrom('and', 'or'), tie('expr'), tie('expr')).map(([op, a, b]) => ({ [op]: [a, b] })),
      fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => ({ if: [c, a, b] })),
    ),
  }));
  // A condition is an operation (a literal at the top is refused); `true` stays reachable as {"!!": true}.
  return expr.map((e) => (typeof e === 'object' && e !== null && !Array.isArray(e) ? e : { '!!': e }));
}

const ruleArb = (id: string, paths: string[] = PATHS): fc.Arbitrary<Rule> =>
  fc
    .record(
      {
        effect: fc.constantFrom<'allow' | 'deny'>('allow', 'allow', 'deny'),
        actions: fc.uniqueArray(fc.constantFrom(...ACTIONS, '*'), { minLength: 1, maxLength: 2 }),
        subject: fc.record({ groups: matcher(GROUPS), roles: matcher(ROLE_NAMES) }, { requiredKeys: [] }).filter((s) => Object.keys(s).length > 0),
        when: logicArb(paths),
      },
      { requiredKeys: ['effect', 'actions'] },
    )
    .map((r) => ({ id, ...r }));

/** Policies whose conditions read `paths` (a path listed twice is read twice as often). */
export const policiesArbOver = (paths: string[]): fc.Arbitrary<Policy[]> => fc
  .array(fc.tuple(fc.constantFrom(...TYPES, '*'), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 6 })
  .chain((shapes) =>
    fc.tuple(
      ...shapes.map(([resource, n], i) =>
        fc.tuple(...Array.from({ length: n }, (_, j) => ruleArb(`rule${j}`, paths))).map((rules): Policy => ({ id: `p${i}`, resource, rules })),
      ),
    ),
  );

export const policiesArb = policiesArbOver(PATHS);

/** Roles: r_i may inherit only r_j with j < i, so the graph has no cycle. */
export const rolesArb: fc.Arbitrary<Record<string, RoleDefinition>> = fc
  .tuple(
    ...ROLE_NAMES.map((name, i) =>
      fc
        .record(
          {
            fromGroups: nameList(GROUPS),
            fromData: fc.record(
              {
                file: fc.constantFrom(...DATA_FILES),
                path: fc.oneof(fc.constant([{ var: 'subject.id' }, 'roles']), fc.constant([{ var: 'subject.id' }, 'title']), dataLookupArb(ROLE_PATHS).map((d) => (d as { data: unknown[] }).data.slice(1))),
                value: fc.constantFrom('r1', 'alice', 0),
              },
              { requiredKeys: ['file', 'path'] },
            ),
            when: logicArb(ROLE_PATHS),
            inherits: i === 0 ? fc.constant(undefined) : nameList(ROLE_NAMES.slice(0, i)),
          },
          { requiredKeys: [] },
        )
        .map((def) => [name, Object.fromEntries(Object.entries(def).filter(([, v]) => v !== undefined))] as const),
    ),
  )
  .map((entries) => Object.fromEntries(entries) as Record<string, RoleDefinition>);

const objectOf = (keys: string[]) =>
  fc.dictionary(fc.constantFrom(...keys), leaf, { maxKeys: keys.length });

/**
 * Roles whose derivation reads the resource make every plan that needs roles refuse; the plan
 * tests drop those parts of the role definitions in half the runs, so that most plans are made.
 */
export function withoutResourceRoles(roles: Record<string, RoleDefinition>): Record<string, RoleDefinition> {
  const reads = (x: unknown): boolean => /"resource\.(id|attributes)/.test(JSON.stringify(x ?? null));
  return Object.fromEntries(
    Object.entries(roles).map(([name, def]) => {
      const { when, fromData, ...rest } = def;
      return [name, { ...rest, ...(reads(when) ? {} : when === undefined ? {} : { when }), ...(reads(fromData) ? {} : fromData === undefined ? {} : { fromData }) }];
    }),
  );
}

export const requestArb: fc.Arbitrary<unknown> = fc
  .record(
    {
      subject: fc.record(
        {
          id: fc.constantFrom(...IDS),
          type: fc.constantFrom('user', 'service'),
          groups: fc.subarray([...GROUPS, 'other']),
          roles: fc.subarray(ROLE_NAMES),
          claims: objectOf(['level', 'tags', '__proto__', 'toString']),
        },
        { requiredKeys: ['id'] },
      ),
      resource: fc.record(
        {
          type: fc.constantFrom(...TYPES, 'other', '*', '__proto__'),
          id: fc.constantFrom('1', 'alice'),
          attributes: fc.record({ owner: leaf, n: leaf, list: fc.constantFrom(['x'], ['y'], 'x'), ['__proto__']: fc.constant({ owner: 'alice' }) }, { requiredKeys: [] }),
        },
        { requiredKeys: ['type'] },
      ),
      action: fc.constantFrom(...ACTIONS, 'other', '*'),
      actionProperties: objectOf(['method', '__proto__']),
      context: objectOf(['flag', 'hour', '__proto__']),
    },
    { requiredKeys: ['subject', 'resource', 'action'] },
  )
  // Through JSON text, like a real request: `__proto__` keys become own properties.
  .map((r) => JSON.parse(JSON.stringify(r)) as unknown);

// ---------- the reference evaluator: no index, no pre-resolution ----------

/**
 * JavaScript's OrdinaryToPrimitive, for prototype-less copies: operators such as `cat` or `==`
 * then convert them exactly as they would the ordinary object (an own `toString: 1` still throws).
 */
function ordinaryToPrimitive(this: Record<string, unknown>, hint: string): unknown {
  const order = hint === 'string' ? (['toString', 'valueOf'] as const) : (['valueOf', 'toString'] as const);
  for (const name of order) {
    const fn = Object.hasOwn(this, name) ? this[name] : Object.prototype[name];
    if (typeof fn === 'function') {
      const result = (fn as () => unknown).call(this);
      if (typeof result !== 'object' || result === null) return result;
    }
  }
  throw new TypeError('Cannot convert object to primitive value');
}

/** A copy with only own properties and no prototypes, for json-logic-js's own `var`. */
export function sanitise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitise);
  if (typeof value !== 'object' || value === null) return value;
  const out = Object.create(null) as Record<string, unknown>;
  Object.defineProperty(out, Symbol.toPrimitive, { value: ordinaryToPrimitive });
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, { value: sanitise((value as Record<string, unknown>)[key]), enumerable: true, writable: true });
  }
  return out;
}

/**
 * The documented action model, restated on its own: `action` and `action.name` are the name,
 * `action.properties.*` the request's actionProperties. json-logic-js reads them under keys of
 * their own.
 */
function actionPaths(logic: unknown): unknown {
  if (Array.isArray(logic)) return logic.map(actionPaths);
  if (typeof logic !== 'object' || logic === null) return logic;
  const [op, args] = Object.entries(logic)[0] as [string, unknown];
  if (op !== 'var') return { [op]: actionPaths(args) };
  const rename = (path: unknown): unknown =>
    path === 'action' || path === 'action.name' ? '$action' : typeof path === 'string' && path.startsWith('action.properties.') ? `$actionProperties.${path.slice('action.properties.'.length)}` : path;
  return { var: Array.isArray(args) ? [rename(args[0]), ...args.slice(1).map(actionPaths)] : rename(args) };
}

export const apply = (logic: unknown, data: Record<string, unknown>, files: DataFiles): boolean => jsonLogic.truthy(applyWithData(actionPaths(logic), data, files));

const reads = (logic: unknown, prefix: string): boolean => JSON.stringify(logic ?? null).includes(`"${prefix}`);

/**
 * The data operator as specified: a literal file, then segments (a literal string; a number that is
 * a non-negative integer, as its decimal string; else the value of a `var` or nested lookup under
 * the same rule), own properties of objects, arrays and strings only, never a prototype key; null
 * when anything is absent or unusable.
 */
function lookup(files: DataFiles, args: unknown[], request: unknown): unknown {
  const [file, ...segments] = args as [string, ...unknown[]];
  let value: unknown = Object.hasOwn(files, file) ? files[file] : null;
  for (const segment of segments) {
    let key: unknown = segment;
    if (typeof segment === 'object' && segment !== null) {
      key = 'var' in segment ? jsonLogic.apply(segment, request) : lookup(files, (segment as { data: unknown[] }).data, request);
    }
    if (typeof key === 'number') key = Number.isInteger(key) && key >= 0 && key <= Number.MAX_SAFE_INTEGER ? String(key) : null;
    if (typeof key !== 'string' || ['__proto__', 'constructor', 'prototype'].includes(key)) return null;
    const holder = typeof value === 'string' ? Object(value) : value;
    if (typeof holder !== 'object' || holder === null || !Object.hasOwn(holder, key)) return null;
    value = (holder as Record<string, unknown>)[key];
  }
  return value === undefined ? null : value;
}

/** json-logic-js on the request, each `data` lookup replaced by a `var` of its value (json-logic-js knows no `data`). */
function applyWithData(logic: unknown, request: Record<string, unknown>, files: DataFiles): unknown {
  let n = 0;
  // One data entry read twice is one value (the engine hands out the data file's own frozen
  // value), so `==` between two lookups of the same object holds there; copies here would not.
  const copies = new Map<unknown, unknown>();
  const copyOf = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return sanitise(value);
    if (!copies.has(value)) copies.set(value, sanitise(value));
    return copies.get(value);
  };
  const substitute = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(substitute);
    if (typeof node !== 'object' || node === null) return node;
    const [op, args] = Object.entries(node)[0] as [string, unknown];
    if (op === 'data') {
      const name = `$data${n++}`;
      request[name] = copyOf(lookup(files, args as unknown[], request));
      return { var: name };
    }
    return { [op]: substitute(args) };
  };
  return jsonLogic.apply(substitute(logic), request);
}

/** `forcedRoles` are held on top of what the request derives (with what they inherit), as would-allow's advice assumes. */
export function reference(set: PolicySet, request: unknown, forcedRoles: readonly string[] = []): Pick<Decision, 'allow' | 'effect' | 'reasons'> & { roles: string[] } {
  const req = request as DecisionRequest;
  const groups = Array.isArray(req.subject.groups) ? req.subject.groups : [];
  const data = sanitise({ subject: req.subject, resource: req.resource, $action: req.action, $actionProperties: req.actionProperties, context: req.context }) as Record<string, Record<string, unknown>>;
  const files: DataFiles = set.data ?? {};
  // The caller's roles never count.
  if (data.subject) data.subject.roles = [];

  const held = new Set<string>();
  let roleError = false;
  const grant = (name: string): void => {
    held.add(name);
    for (const parent of set.roles[name]?.inherits ?? []) grant(parent);
  };
  for (const name of Object.keys(set.roles).sort()) {
    const def = set.roles[name] as RoleDefinition;
    let holds = (def.fromGroups ?? []).some((g) => groups.includes(g));
    if (!holds && def.fromData !== undefined) {
      const found = lookup(files, [def.fromData.file, ...def.fromData.path], data);
      const expected = def.fromData.value ?? name;
      holds = found === expected || (Array.isArray(found) && found.includes(expected));
    }
    if (!holds && def.when !== undefined) {
      try {
        holds = apply(def.when, data, files);
      } catch {
        roleError = true;
      }
    }
    if (holds) grant(name);
  }
  for (const name of forcedRoles) grant(name);
  const roles = [...held].sort();
  (data.subject as Record<string, unknown>).roles = roles;

  const matches = (have: readonly unknown[], m?: { anyOf?: string[]; allOf?: string[] }): boolean =>
    (m?.anyOf === undefined || m.anyOf.some((x) => have.includes(x))) && (m?.allOf === undefined || m.allOf.every((x) => have.includes(x)));

  const D: DecisionReason[] = [];
  const A: DecisionReason[] = [];
  const AE: DecisionReason[] = [];
  for (const policy of set.policies) {
    if (policy.resource !== '*' && policy.resource !== req.resource.type) continue;
    for (const rule of policy.rules) {
      if (!rule.actions.includes('*') && !rule.actions.includes(req.action)) continue;
      if (!matches(groups, rule.subject?.groups)) continue;
      let outcome: 'applied' | 'no' | 'error';
      if ((rule.subject?.roles !== undefined || reads(rule.when, 'subject.roles')) && roleError) outcome = 'error';
      else if (!matches(roles, rule.subject?.roles)) outcome = 'no';
      else if (rule.when === undefined) outcome = 'applied';
      else {
        try {
          outcome = apply(rule.when, data, files) ? 'applied' : 'no';
        } catch {
          outcome = 'error';
        }
      }
      if (outcome === 'no') continue;
      const reason: DecisionReason =
        outcome === 'error'
          ? { policy: policy.id, rule: rule.id, effect: 'deny', code: 'evaluation_error' }
          : { policy: policy.id, rule: rule.id, effect: rule.effect };
      if (rule.effect === 'deny') D.push(reason);
      else if (outcome === 'error') AE.push(reason);
      else A.push(reason);
    }
  }
  if (D.length > 0) return { allow: false, effect: 'deny', reasons: D, roles };
  if (AE.length > 0) return { allow: false, effect: 'deny', reasons: AE, roles };
  if (A.length > 0) return { allow: true, effect: 'allow', reasons: A, roles };
  return { allow: false, effect: 'deny', reasons: [{ policy: '', rule: '', effect: 'deny', code: 'default_deny' }], roles };
}

export const withoutMessages = (d: Pick<Decision, 'allow' | 'effect' | 'reasons'>) => ({
  allow: d.allow,
  effect: d.effect,
  reasons: d.reasons.map(({ policy, rule, effect, code }) => ({ policy, rule, effect, ...(code ? { code } : {}) })),
});

export function load(policies: Policy[], roles: Record<string, RoleDefinition>, data: DataFiles = { users: {}, groups: {} }): CheckedPolicySet {
  const result = checkPolicySources({
    policies: policies.map((p, i) => ({ file: `p${i}.json`, text: JSON.stringify(p) })),
    roles: { file: 'roles.json', text: JSON.stringify({ roles }) },
    data: Object.entries(data).map(([name, value]) => ({ file: `data/${name}.json`, text: JSON.stringify(value) })),
  });
  if (!result.ok) throw new Error(`generated set refused: ${JSON.stringify(result.errors.slice(0, 3))}`);
  return result.policySet;
}
