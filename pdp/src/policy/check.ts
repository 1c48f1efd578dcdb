/**
 * The one policy checker: the JSON Schemas and every check beyond them (unique ids, safe
 * json-logic, paths the request model has, known roles, an acyclic role graph, and with an
 * attribute schema the attributes and comparisons it allows), in one pass over parsed documents. The loader
 * runs it on the files of a directory, `compilePolicySet` on a set built by hand; what it accepts
 * the engine compiles without checking again.
 */
import { escapePointer } from '../common/json-pointer.js';
import { deepFreeze, isObject } from '../common/objects.js';
import { DATA_NAME_PATTERN, DATA_NAME_RULE, DATA_OPERATOR } from '../engine/data.js';
import { checkLogic, type LogicCheckOptions } from '../engine/logic.js';
import type { AttributeSchema, CheckedPolicySet, DataFiles, Policy, PolicySet, RoleDefinition } from '../engine/types.js';
import { checkAttributeSchema, checkConditionAgainstSchema, checkResourceType, type SchemaScope } from './attribute-schema.js';
import { checkDataDocuments, DATA_DIR } from './data.js';
import { computeRevision } from './revision.js';
import { closestName, getValidators, schemaIssues } from './schemas.js';

/** One problem in a policy set. `file` is relative to the policy directory; `pointer` is RFC 6901. */
export interface PolicyError {
  file: string;
  pointer: string;
  message: string;
}

/** A parsed document and the name its errors carry. */
export interface PolicyDocument {
  file: string;
  value: unknown;
}

export const ROLES_FILE = 'roles.json';

interface RoleReference {
  file: string;
  pointer: string;
  role: string;
}

export interface CheckedDocuments {
  /** The schema-valid policies, without the editor-only `$schema`. */
  policies: Policy[];
  /** The roles; null when roles.json is too broken to check references against. */
  roles: Record<string, RoleDefinition> | null;
  /** The file of each policy, by id. */
  sourceOf: Map<string, string>;
  /** The attribute schema: undefined when there is none, null when it is broken. */
  schema: AttributeSchema | null | undefined;
}

/**
 * Checks policy documents, the roles document (`{"roles": {…}}`) and the attribute schema
 * (schema.json; each undefined when there is none, null when it exists but could not be
 * parsed), pushing every problem onto `errors`. The checks beyond the schema run on whatever parts are
 * well-formed, so one pass reports every problem, not the schema's first and the rest next time.
 */
export function checkDocuments(
  policyDocs: readonly PolicyDocument[],
  rolesDoc: PolicyDocument | null | undefined,
  errors: PolicyError[],
  schemaDoc?: PolicyDocument | null,
  dataNames: readonly string[] = [],
): CheckedDocuments {
  const schema = schemaDoc === undefined ? undefined : schemaDoc === null ? null : checkSchemaDocument(schemaDoc, errors);
  // A broken schema is reported as such; the policies are then checked without it.
  const scopeOf = (resource: unknown): SchemaScope | null =>
    isObject(schema) ? { schema, resource: typeof resource === 'string' && resource !== '*' ? resource : null } : null;
  const validate = getValidators().policy;
  const dataRefs = new DataReferences(dataNames, errors);
  const policies: Policy[] = [];
  const sourceOf = new Map<string, string>();
  const policyIdsLower = new Map<string, { id: string; file: string }>();
  const roleRefs: RoleReference[] = [];

  for (const { file, value: doc } of policyDocs) {
    const valid: boolean = validate(doc);
    if (!valid) for (const issue of schemaIssues(validate.errors)) errors.push({ file, ...issue });
    if (!isObject(doc)) continue;
    // Ids are compared ignoring case too: "Chat/x" and "chat/x" in a decision log or a test's
    // expected reasons would name two different rules that a reader takes for one.
    if (typeof doc.id === 'string') {
      const other = sourceOf.get(doc.id);
      const similar = policyIdsLower.get(doc.id.toLowerCase());
      if (other !== undefined) errors.push({ file, pointer: '/id', message: `duplicate policy id "${doc.id}" (also in ${other})` });
      else if (similar !== undefined) errors.push({ file, pointer: '/id', message: `policy id "${doc.id}" differs from "${similar.id}" (in ${similar.file}) only in case` });
      else {
        sourceOf.set(doc.id, file);
        policyIdsLower.set(doc.id.toLowerCase(), { id: doc.id, file });
      }
    }
    const scope = scopeOf(doc.resource);
    if (scope !== null && typeof doc.resource === 'string') {
      const problem = checkResourceType(scope.schema, doc.resource);
      if (problem !== null) errors.push({ file, pointer: '/resource', message: problem });
    }
    const ruleIds = new Map<string, { id: string; index: number }>();
    (Array.isArray(doc.rules) ? doc.rules : []).forEach((rule: unknown, i) => {
      if (!isObject(rule)) return;
      if (typeof rule.id === 'string') {
        const first = ruleIds.get(rule.id.toLowerCase());
        if (first === undefined) ruleIds.set(rule.id.toLowerCase(), { id: rule.id, index: i });
        else if (first.id === rule.id) errors.push({ file, pointer: `/rules/${i}/id`, message: `duplicate rule id "${rule.id}" (also /rules/${first.index})` });
        else errors.push({ file, pointer: `/rules/${i}/id`, message: `rule id "${rule.id}" differs from "${first.id}" (/rules/${first.index}) only in case` });
      }
      if (rule.when !== undefined) checkCondition(rule.when, dataRefs.options(file, `/rules/${i}/when`), scope, file, `/rules/${i}/when`, errors);
      const roles = isObject(rule.subject) ? rule.subject.roles : undefined;
      for (const kind of ['anyOf', 'allOf'] as const) {
        const names = isObject(roles) ? roles[kind] : undefined;
        if (!Array.isArray(names)) continue;
        names.forEach((role: unknown, j) => {
          if (typeof role === 'string') roleRefs.push({ file, pointer: `/rules/${i}/subject/roles/${kind}/${j}`, role });
        });
      }
    });
    if (valid) policies.push(toPolicy(doc));
  }

  const roles = rolesDoc === undefined ? {} : rolesDoc === null ? null : checkRoles(rolesDoc, scopeOf(null), errors, dataRefs);
  if (roles !== null) {
    for (const ref of roleRefs) {
      if (!Object.hasOwn(roles, ref.role)) {
        const where = rolesDoc === undefined ? ` (there is no ${ROLES_FILE})` : ` (not defined in ${ROLES_FILE})`;
        errors.push({ file: ref.file, pointer: ref.pointer, message: `unknown role "${ref.role}"${where}` });
      }
    }
  }
  return { policies, roles, sourceOf, schema };
}

/** checkLogic, then (on a well-formed condition, with a schema) the schema's checks. */
function checkCondition(logic: unknown, options: LogicCheckOptions, scope: SchemaScope | null, file: string, base: string, errors: PolicyError[]): void {
  const issues = checkLogic(logic, options);
  if (issues.length === 0 && scope !== null) issues.push(...checkConditionAgainstSchema(logic, scope));
  for (const issue of issues) errors.push({ file, pointer: `${base}${issue.pointer}`, message: issue.message });
}

function checkSchemaDocument({ file, value }: PolicyDocument, errors: PolicyError[]): AttributeSchema | null {
  const problems: { pointer: string; message: string }[] = [];
  const schema = checkAttributeSchema(value, problems);
  for (const problem of problems) errors.push({ file, ...problem });
  return schema;
}

/** A schema-valid document as a Policy, without the editor-only `$schema`. */
function toPolicy(doc: Record<string, unknown>): Policy {
  const { $schema: _schema, ...policy } = doc;
  return policy as unknown as Policy;
}

/**
 * Checks the roles document; returns the roles, or null when they are too broken to check
 * references against. The checks beyond the schema run on every well-formed role even when the
 * schema failed elsewhere.
 */
function checkRoles({ file, value: doc }: PolicyDocument, scope: SchemaScope | null, errors: PolicyError[], dataRefs: DataReferences): Record<string, RoleDefinition> | null {
  const validate = getValidators().roles;
  if (!validate(doc)) for (const issue of schemaIssues(validate.errors)) errors.push({ file, ...issue });
  if (!isObject(doc) || !isObject(doc.roles)) return null;
  const roles = doc.roles;
  const lowerCase = new Map<string, string>();
  for (const name of Object.keys(roles)) {
    const base = `/roles/${escapePointer(name)}`;
    const other = lowerCase.get(name.toLowerCase());
    if (other !== undefined) errors.push({ file, pointer: base, message: `role "${name}" differs from role "${other}" only in case` });
    else lowerCase.set(name.toLowerCase(), name);
    const role = roles[name];
    if (!isObject(role)) continue;
    if (role.when !== undefined) checkCondition(role.when, { forbidSubjectRoles: true, ...dataRefs.options(file, `${base}/when`) }, scope, file, `${base}/when`, errors);
    if (isObject(role.fromData) && Array.isArray(role.fromData.path)) checkFromData(file, `${base}/fromData`, role.fromData, errors, dataRefs);
    for (const { parent, index } of inheritsOf(role)) {
      if (!Object.hasOwn(roles, parent)) errors.push({ file, pointer: `${base}/inherits/${index}`, message: `inherits unknown role "${parent}"` });
    }
  }
  for (const cycle of findCycles(roles)) {
    errors.push({ file, pointer: `/roles/${escapePointer(cycle.role)}/inherits/${cycle.index}`, message: `role inheritance cycle: ${cycle.path.join(' -> ')}` });
  }
  return roles as Record<string, RoleDefinition>;
}

/**
 * Checks `fromData` as the `data` operation it stands for (the same checks as in a condition, so
 * its `var`s are checked like every other), with pointers into `fromData`. The schema checked its
 * shape.
 */
function checkFromData(file: string, base: string, fromData: Record<string, unknown>, errors: PolicyError[], dataRefs: DataReferences): void {
  const at = (pointer: string): string =>
    pointer.replace(/^\/data\/(\d+)/, (_m, i: string) => (i === '0' ? `${base}/file` : `${base}/path/${Number(i) - 1}`)).replace(/^\/data$/, base);
  const options: LogicCheckOptions = { forbidSubjectRoles: true, onDataFile: (name, pointer) => dataRefs.add(file, at(pointer), name) };
  for (const issue of checkLogic({ [DATA_OPERATOR]: [fromData.file, ...(fromData.path as unknown[])] }, options)) {
    errors.push({ file, pointer: at(issue.pointer), message: issue.message });
  }
}

/** The data files a set's `data` operations and `fromData` name must exist: each reference is checked as it is found. */
class DataReferences {
  constructor(
    private readonly names: readonly string[],
    private readonly errors: PolicyError[],
  ) {}

  /** checkLogic options that check each data file named in an expression at `base` of `file`. */
  options(file: string, base: string): LogicCheckOptions {
    return { onDataFile: (name, pointer) => this.add(file, `${base}${pointer}`, name) };
  }

  add(file: string, pointer: string, name: string): void {
    if (this.names.includes(name)) return;
    const guess = closestName(name, this.names);
    const known = this.names.length === 0 ? `there is no ${DATA_DIR}/ directory or it holds no *.json` : `${DATA_DIR}/ holds ${this.names.join(', ')}`;
    this.errors.push({ file, pointer, message: `unknown data file "${name}" (${known})${guess !== undefined ? `; did you mean "${guess}"?` : ''}` });
  }
}

/** A role's inherited role names that are strings, with their index (whatever else the schema said). */
function inheritsOf(role: unknown): { parent: string; index: number }[] {
  const inherits = isObject(role) ? role.inherits : undefined;
  if (!Array.isArray(inherits)) return [];
  return inherits.flatMap((parent: unknown, index) => (typeof parent === 'string' ? [{ parent, index }] : []));
}

interface Cycle {
  role: string;
  index: number;
  path: string[];
}

/** Each inheritance edge that closes a cycle, found by depth-first search in name order. */
function findCycles(roles: Record<string, unknown>): Cycle[] {
  const state = new Map<string, 'active' | 'done'>();
  const cycles: Cycle[] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const { parent, index } of inheritsOf(roles[name])) {
      if (!Object.hasOwn(roles, parent)) continue;
      const s = state.get(parent);
      if (s === 'active') cycles.push({ role: name, index, path: [...stack.slice(stack.indexOf(parent)), parent] });
      else if (s === undefined) visit(parent);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(roles).sort()) if (!state.has(name)) visit(name);
  return cycles;
}

/**
 * The sets this checker accepted, frozen so they cannot change after the check. Only these
 * reach the engine's `compile` without a check (see `compilePolicySet`).
 */
const checkedSets = new WeakSet<object>();

export function isCheckedPolicySet(set: unknown): set is CheckedPolicySet {
  return typeof set === 'object' && set !== null && checkedSets.has(set);
}

/** The checked policies, roles, schema and data as a frozen policy set, policies ordered by id. */
export function checkedPolicySet({ policies, roles, sourceOf, schema, data }: CheckedDocuments & { roles: Record<string, RoleDefinition>; schema: AttributeSchema | undefined; data?: DataFiles }): CheckedPolicySet {
  const sorted = [...policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sources: Record<string, string> = {};
  for (const p of sorted) sources[p.id] = sourceOf.get(p.id) as string;
  // A set without a schema or data files keeps the revision (and shape) it had before they existed.
  const withData = data !== undefined && Object.keys(data).length > 0 ? data : undefined;
  const revision = computeRevision(sorted, roles, { schema, data: withData });
  const set = deepFreeze({
    policies: sorted,
    roles,
    ...(schema === undefined ? {} : { schema }),
    revision,
    sources,
    ...(withData === undefined ? {} : { data: withData }),
  });
  checkedSets.add(set);
  return set as CheckedPolicySet;
}

/**
 * Every problem in a policy set built by hand (not read from files): the same checks as the
 * loader's, each error naming `policies/<index>` or `roles` as its file.
 */
export function checkPolicySet(set: unknown): PolicyError[] {
  const errors: PolicyError[] = [];
  if (!isObject(set)) return [{ file: '.', pointer: '', message: 'a policy set must be an object with policies, roles and revision' }];
  const { policies, roles, revision, schema, data } = set as Partial<Record<keyof PolicySet, unknown>>;
  if (typeof revision !== 'string') errors.push({ file: '.', pointer: '/revision', message: 'must be a string' });
  if (!Array.isArray(policies)) errors.push({ file: '.', pointer: '/policies', message: 'must be an array of policies' });
  if (roles !== undefined && !isObject(roles)) errors.push({ file: '.', pointer: '/roles', message: 'must be an object of role definitions' });
  if (data !== undefined && !isObject(data)) errors.push({ file: '.', pointer: '/data', message: 'must be an object of data files by name' });
  const dataDocs = isObject(data) ? Object.keys(data).map((name) => ({ file: `${DATA_DIR}/${name}`, name, value: data[name] })) : [];
  for (const { file, name } of dataDocs) if (!DATA_NAME_PATTERN.test(name)) errors.push({ file, pointer: '', message: `a data file name must be ${DATA_NAME_RULE}` });
  const { names } = checkDataDocuments(dataDocs, errors);
  const docs = Array.isArray(policies) ? policies.map((value: unknown, i) => ({ file: `policies/${i}`, value })) : [];
  checkDocuments(docs, isObject(roles) ? { file: 'roles', value: { roles } } : undefined, errors, schema === undefined ? undefined : { file: 'schema', value: schema }, names);
  return errors;
}
