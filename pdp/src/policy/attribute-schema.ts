/**
 * The attribute schema (`schema.json` in a policy directory, optional): the checks of the document
 * itself, and what it adds to the checks of every condition. Without a schema a condition may read
 * any attribute the request model allows (engine/request-model.ts); with one, a path to an
 * undeclared attribute, a comparison that can never hold and a policy for an undeclared resource
 * type are load errors, because each of them silently switches a rule off (a deny rule included).
 */
import { didYouMean } from '../common/did-you-mean.js';
import { escapePointer } from '../common/json-pointer.js';
import { FORBIDDEN_KEYS, isObject } from '../common/objects.js';
import type { LogicIssue } from '../engine/logic.js';
import { describePath, LIST_INDEX, type FixedType, type ModelArea } from '../engine/request-model.js';
import type { AttributeSchema, AttributeSet, AttributeType } from '../engine/types.js';
import { getValidators, schemaIssues, typeWords } from './schemas.js';

export const SCHEMA_FILE = 'schema.json';

/** One problem, where (RFC 6901 pointer into the file) and what. */
interface Problem {
  pointer: string;
  message: string;
}

type Literal = string | number | boolean;

/** Whether `value` is of a declared type (enum aside). */
function ofType(value: unknown, type: AttributeType['type']): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    default:
      return isObject(value);
  }
}

/**
 * Checks a parsed schema.json beyond its JSON Schema: enum values of the declared type, no name
 * that reaches a prototype, no `*` type. Returns the schema (without `$schema`), or null when it
 * has any problem, pushed onto `problems`.
 */
export function checkAttributeSchema(doc: unknown, problems: Problem[]): AttributeSchema | null {
  const validate = getValidators().attributeSchema;
  const before = problems.length;
  if (!validate(doc)) problems.push(...schemaIssues(validate.errors));
  if (!isObject(doc)) return null;

  const visitType = (name: string | null, type: unknown, pointer: string): void => {
    if (name !== null && FORBIDDEN_KEYS.has(name)) problems.push({ pointer, message: `"${name}" cannot be declared: no policy may read it` });
    if (!isObject(type)) return;
    const declared = type.type as AttributeType['type'];
    if (Array.isArray(type.enum) && typeof declared === 'string') {
      type.enum.forEach((value: unknown, i) => {
        if (!ofType(value, declared)) problems.push({ pointer: `${pointer}/enum/${i}`, message: `${JSON.stringify(value)} is not ${typeWords(declared)} (the declared type)` });
      });
    }
    if (type.items !== undefined) visitType(null, type.items, `${pointer}/items`);
    if (isObject(type.properties)) for (const [n, t] of Object.entries(type.properties)) visitType(n, t, `${pointer}/properties/${escapePointer(n)}`);
  };
  const visitSet = (set: unknown, pointer: string): void => {
    const attributes = isObject(set) ? set.attributes : undefined;
    if (isObject(attributes)) for (const [n, t] of Object.entries(attributes)) visitType(n, t, `${pointer}/attributes/${escapePointer(n)}`);
  };
  if (isObject(doc.resources)) {
    for (const [type, set] of Object.entries(doc.resources)) {
      // A policy's `"resource": "*"` means every type; a type named "*" could never be told apart.
      if (type === '*') problems.push({ pointer: '/resources/*', message: '"*" stands for every resource type in a policy and cannot be declared' });
      visitSet(set, `/resources/${escapePointer(type)}`);
    }
  }
  for (const part of ['claims', 'context', 'actionProperties'] as const) visitSet(doc[part], `/${part}`);

  if (problems.length > before) return null;
  const { $schema: _schema, ...schema } = doc;
  return schema as unknown as AttributeSchema;
}

/** Why a policy's resource type is refused by the schema, or null. */
export function checkResourceType(schema: AttributeSchema, resource: string): string | null {
  if (resource === '*' || Object.hasOwn(schema.resources, resource)) return null;
  const known = Object.keys(schema.resources);
  const guess = didYouMean(resource, known);
  const list = guess || (known.length === 0 ? ' (it declares none)' : ` (it declares ${known.map((k) => JSON.stringify(k)).join(', ')})`);
  return `resource type "${resource}" is not declared in ${SCHEMA_FILE}${list}`;
}

/** The types the model fixes, as attribute types. */
const FIXED: Readonly<Record<FixedType, AttributeType>> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  object: { type: 'object', additionalProperties: true },
  'string-list': { type: 'array', items: { type: 'string' } },
};

/** Where a condition is read: its policy's resource type, or null for `*` and role conditions (any type). */
export interface SchemaScope {
  readonly schema: AttributeSchema;
  readonly resource: string | null;
}

/** The declared types of a path (one per resource type that declares it), or null when not checked. */
type Declared = { path: string; types: readonly AttributeType[] } | null;

type Walk = { type: AttributeType } | { open: true } | { missing: { here: string; segment: string; known: string[] } } | { error: string };

/** Follows `rest` through one declared attribute set. */
function walkSet(set: AttributeSet, rest: readonly string[], base: string): Walk {
  let here = base;
  let names: Record<string, AttributeType> = set.attributes ?? {};
  let open = set.additionalAttributes === true;
  let type: AttributeType | null = null;
  for (const segment of rest) {
    if (type === null || type.type === 'object') {
      if (type !== null) {
        names = type.properties ?? {};
        open = type.additionalProperties === true;
      }
      if (!Object.hasOwn(names, segment)) return open ? { open: true } : { missing: { here, segment, known: Object.keys(names) } };
      type = names[segment] as AttributeType;
    } else if (type.type === 'array' && LIST_INDEX.test(segment)) {
      type = type.items;
    } else if ((type.type === 'array' || type.type === 'string') && segment === 'length') {
      type = FIXED.integer;
    } else {
      return { error: `${here} is declared ${typeWords(type.type)} and has no "${segment}"` };
    }
    here = `${here}.${segment}`;
  }
  return type === null ? { open: true } : { type };
}

const AREA_BASE: Readonly<Record<ModelArea, string>> = {
  claims: 'subject.claims',
  attributes: 'resource.attributes',
  actionProperties: 'action.properties',
  context: 'context',
};

/** The declared sets a path in `area` is looked up in, each with the words naming it; null when not checked. */
function setsOf(scope: SchemaScope, area: ModelArea): { set: AttributeSet; where: string }[] | null {
  const { schema, resource } = scope;
  switch (area) {
    case 'claims':
      return [{ set: schema.claims, where: "the subject's claims" }];
    case 'context':
      return schema.context === undefined ? null : [{ set: schema.context, where: 'the context' }];
    case 'actionProperties':
      return schema.actionProperties === undefined ? null : [{ set: schema.actionProperties, where: "the action's properties" }];
    default:
      if (resource === null) return Object.entries(schema.resources).map(([type, set]) => ({ set, where: `resource type "${type}"` }));
      // An undeclared type is reported on the policy's `resource`; its attributes are not checked twice.
      return Object.hasOwn(schema.resources, resource) ? [{ set: schema.resources[resource] as AttributeSet, where: `resource type "${resource}"` }] : null;
  }
}

/** What a (model-valid) path reads under the schema, or why the schema refuses it. */
function declaredAt(scope: SchemaScope, path: string): Declared | string {
  const target = describePath(path.split('.'));
  if (typeof target === 'string' || target.kind === 'unmodelled') return null;
  if (target.kind === 'fixed') return { path, types: [FIXED[target.type]] };
  if (target.rest.length === 0) return null;
  const sets = setsOf(scope, target.area);
  if (sets === null) return null;
  const types: AttributeType[] = [];
  const failures: { walk: Walk; where: string }[] = [];
  for (const { set, where } of sets) {
    const walk = walkSet(set, target.rest, AREA_BASE[target.area]);
    if ('open' in walk) return null;
    if ('type' in walk) types.push(walk.type);
    else failures.push({ walk, where });
  }
  if (types.length > 0) return { path, types };
  const first = failures[0];
  if (first === undefined) return `var path "${path}": ${SCHEMA_FILE} declares no resource type at all`;
  if ('error' in first.walk) return `var path "${path}": ${first.walk.error} in ${SCHEMA_FILE}`;
  if (!('missing' in first.walk)) return null;
  const { here, segment } = first.walk.missing;
  const known: string[] = [];
  for (const { walk } of failures) if ('missing' in walk && walk.missing.here === here) for (const k of walk.missing.known) known.push(`${here}.${k}`);
  // At the top of an area, name the part (`resource type "chat"`); deeper, the attribute that holds it.
  const top = here === AREA_BASE[target.area];
  const where = !top ? here : failures.length > 1 ? 'any resource type' : first.where;
  return `var path "${path}": ${SCHEMA_FILE} declares no "${segment}" for ${where}${didYouMean(`${here}.${segment}`, known)}`;
}

function isLiteral(value: unknown): value is Literal {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Whether a literal can be a value of the declared type (type and enum). */
function fits(value: Literal, type: AttributeType): boolean {
  if (!ofType(value, type.type)) return false;
  return !('enum' in type) || type.enum === undefined || type.enum.includes(value);
}

/** The declared values of a type, in words. */
function valuesOf(type: AttributeType): string {
  if ('enum' in type && type.enum !== undefined) return `one of ${type.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  return typeWords(type.type);
}

const enumGuess = (value: Literal, types: readonly AttributeType[]): string => {
  if (typeof value !== 'string') return '';
  const names = types.flatMap((t) => ('enum' in t && t.enum !== undefined ? t.enum.filter((v): v is string => typeof v === 'string') : []));
  return didYouMean(value, names);
};

const ORDERING: ReadonlySet<string> = new Set(['<', '>', '<=', '>=']);
const EQUALITY: ReadonlySet<string> = new Set(['==', '===', '!=', '!==']);

/**
 * Every problem the schema finds in a condition that `checkLogic` accepted: paths to undeclared
 * attributes, and comparisons whose outcome the declared types already fix. Pointers are
 * relative to the condition, as checkLogic's.
 */
export function checkConditionAgainstSchema(logic: unknown, scope: SchemaScope): LogicIssue[] {
  const issues: LogicIssue[] = [];
  walk(logic, '');
  return issues;

  /** The declared types of a `var` operand; null for anything else or an unchecked path. */
  function declaredOf(node: unknown): Declared {
    if (!isObject(node) || !Object.hasOwn(node, 'var')) return null;
    const args = node.var;
    const path = Array.isArray(args) ? args[0] : args;
    if (typeof path !== 'string') return null;
    const declared = declaredAt(scope, path);
    return typeof declared === 'string' ? null : declared;
  }

  function walk(node: unknown, pointer: string): void {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${pointer}/${i}`));
      return;
    }
    if (!isObject(node)) return;
    const op = Object.keys(node)[0] as string;
    const args = node[op];
    const opPointer = `${pointer}/${escapePointer(op)}`;
    if (op === 'var') {
      checkVar(args, opPointer);
      return;
    }
    const list = Array.isArray(args) ? args : [args];
    if (ORDERING.has(op)) checkOrdering(op, list, opPointer);
    else if (EQUALITY.has(op) && list.length === 2) checkEquality(op, list, opPointer);
    else if (op === 'in' && list.length === 2) checkIn(list, opPointer);
    if (Array.isArray(args)) args.forEach((arg, i) => walk(arg, `${opPointer}/${i}`));
    else walk(args, opPointer);
  }

  function checkVar(args: unknown, pointer: string): void {
    const path = Array.isArray(args) ? args[0] : args;
    if (typeof path !== 'string') return;
    const declared = declaredAt(scope, path);
    if (typeof declared === 'string') {
      issues.push({ pointer: Array.isArray(args) ? `${pointer}/0` : pointer, message: declared });
      return;
    }
    if (Array.isArray(args) && args.length === 2) {
      walk(args[1], `${pointer}/1`);
      const fallback: unknown = args[1];
      if (declared !== null && isLiteral(fallback) && !declared.types.some((t) => fits(fallback, t))) {
        issues.push({ pointer: `${pointer}/1`, message: `the default ${JSON.stringify(fallback)} is not a value of ${path} (declared ${valuesOf(declared.types[0] as AttributeType)})${enumGuess(fallback, declared.types)}` });
      }
    }
  }

  function checkOrdering(op: string, list: unknown[], pointer: string): void {
    list.forEach((arg, i) => {
      const declared = declaredOf(arg);
      if (declared === null || declared.types.some((t) => t.type === 'number' || t.type === 'integer')) return;
      issues.push({ pointer: `${pointer}/${i}`, message: `"${op}" compares numbers, but ${declared.path} is declared ${typeWords((declared.types[0] as AttributeType).type)}` });
    });
  }

  function checkEquality(op: string, list: unknown[], pointer: string): void {
    for (const [a, b, at] of [[list[0], list[1], 1], [list[1], list[0], 0]] as const) {
      const declared = declaredOf(a);
      if (declared === null || !isLiteral(b) || declared.types.some((t) => fits(b, t))) continue;
      const always = op.startsWith('!') ? `, so "${op}" always holds` : '';
      issues.push({
        pointer: `${pointer}/${at}`,
        message: `${declared.path} is declared ${valuesOf(declared.types[0] as AttributeType)}: ${JSON.stringify(b)} never equals it${always}${enumGuess(b, declared.types)}`,
      });
    }
  }

  function checkIn(list: unknown[], pointer: string): void {
    const [needle, haystack] = list;
    const hay = declaredOf(haystack);
    if (hay !== null) {
      if (!hay.types.some((t) => t.type === 'array' || t.type === 'string')) {
        issues.push({ pointer: `${pointer}/1`, message: `"in" looks in a list or a string, but ${hay.path} is declared ${typeWords((hay.types[0] as AttributeType).type)}` });
        return;
      }
      const items = hay.types.flatMap((t) => (t.type === 'array' ? [t.items] : []));
      if (isLiteral(needle) && items.length === hay.types.length && !items.some((t) => fits(needle, t))) {
        issues.push({ pointer: `${pointer}/0`, message: `${JSON.stringify(needle)} is never an entry of ${hay.path} (entries are declared ${valuesOf(items[0] as AttributeType)})${enumGuess(needle, items)}` });
      }
      return;
    }
    // `{"in": [{"var": "resource.attributes.status"}, ["open", "clsoed"]]}`: each entry must be a possible value.
    const declared = declaredOf(needle);
    if (declared === null || !Array.isArray(haystack)) return;
    haystack.forEach((entry: unknown, j) => {
      if (isLiteral(entry) && !declared.types.some((t) => fits(entry, t))) {
        issues.push({ pointer: `${pointer}/1/${j}`, message: `${declared.path} is declared ${valuesOf(declared.types[0] as AttributeType)}: ${JSON.stringify(entry)} never matches it${enumGuess(entry, declared.types)}` });
      }
    });
  }
}
