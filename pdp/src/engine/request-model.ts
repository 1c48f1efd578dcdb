/**
 * The decision request as a policy reads it: the one list of the paths a `var` may name. A path
 * outside it reads `null` on every request, so a misspelt one (`resource.atributes.status`) would
 * switch its rule off without a word; the checker refuses it with the nearest existing name.
 *
 *   subject.id, subject.type              strings
 *   subject.groups, subject.roles         lists of strings (`.0`, `.length`); roles are derived
 *   subject.claims.*                      the subject's attributes (caller- or token-asserted)
 *   resource.type, resource.id            strings
 *   resource.attributes.*                 the resource's attributes
 *   action, action.name                   the action's name (a string)
 *   action.properties.*                   the action's properties (`actionProperties` in a request)
 *   context.*                             facts about the request
 *
 * Below `claims`, `attributes`, `action.properties` and `context` the caller's data decides what
 * exists; an attribute schema (schema.json) may declare it, see policy/attribute-schema.ts.
 */
import { didYouMean } from '../common/did-you-mean.js';

/** The parts of a request whose content the caller, not this model, defines. */
export type ModelArea = 'claims' | 'attributes' | 'actionProperties' | 'context';

/** The type of a value the model itself fixes. */
export type FixedType = 'string' | 'integer' | 'object' | 'string-list';

/**
 * What an existing path reads. `rest` are the segments below an area (none: the area itself);
 * `unmodelled` is a root this model does not describe.
 */
export type PathTarget = { kind: 'fixed'; type: FixedType } | { kind: 'area'; area: ModelArea; rest: readonly string[] } | { kind: 'unmodelled' };

interface ModelNode {
  /** What the path ending here reads. */
  readonly type: FixedType;
  readonly children?: Readonly<Record<string, ModelNode | ModelArea>>;
}

const STRING: ModelNode = { type: 'string' };
const LIST: ModelNode = { type: 'string-list' };

const MODEL: Readonly<Record<string, ModelNode | ModelArea>> = {
  subject: { type: 'object', children: { id: STRING, type: STRING, groups: LIST, roles: LIST, claims: 'claims' } },
  resource: { type: 'object', children: { type: STRING, id: STRING, attributes: 'attributes' } },
  // `action` is the name, as it always was; its properties hang beside it, not inside a string.
  action: { type: 'string', children: { name: STRING, properties: 'actionProperties' } },
  context: 'context',
};

/** A list index as a path segment. */
export const LIST_INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * What `segments` (a `var` path split on ".", its root already known to be a request part) reads
 * in the request model, or why no request can hold it.
 */
export function describePath(segments: readonly string[]): PathTarget | string {
  const path = segments.join('.');
  let node: ModelNode | ModelArea | undefined = MODEL[segments[0] as string];
  // A root without a model entry (none today) is left to whoever added it.
  if (node === undefined) return { kind: 'unmodelled' };
  for (let i = 1; ; i++) {
    if (typeof node === 'string') return { kind: 'area', area: node, rest: segments.slice(i) };
    if (i === segments.length) return { kind: 'fixed', type: node.type };
    const here = segments.slice(0, i).join('.');
    const segment = segments[i] as string;
    if (node.type === 'string-list') {
      if (i + 1 === segments.length && (LIST_INDEX.test(segment) || segment === 'length')) return { kind: 'fixed', type: segment === 'length' ? 'integer' : 'string' };
      return `var path "${path}": ${here} is a list of strings; read it whole, one entry (${here}.0) or its length (${here}.length)`;
    }
    const children: ModelNode['children'] = node.children;
    if (children === undefined) return `var path "${path}": ${here} is a string and has no properties`;
    const next: ModelNode | ModelArea | undefined = Object.hasOwn(children, segment) ? children[segment] : undefined;
    if (next === undefined) {
      const names = Object.keys(children);
      const guess = didYouMean(`${here}.${segment}`, names.map((n) => `${here}.${n}`));
      return `var path "${path}": ${here} has no "${segment}"${guess || ` (it has ${names.join(', ')})`}`;
    }
    node = next;
  }
}
