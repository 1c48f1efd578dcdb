import type { AttributeSchemaView, AttributeSetView, AttributeView, SubjectMatcherView } from '@oracle-ai/contract';

/** "roles: any of ai-user", "groups: all of a, b"; "anyone" for a rule without a subject matcher. */
export function subjectText(subject: SubjectMatcherView | undefined): string {
  const parts: string[] = [];
  for (const kind of ['groups', 'roles'] as const) {
    const matcher = subject?.[kind];
    if (matcher?.anyOf) parts.push(`${kind}: any of ${matcher.anyOf.join(', ')}`);
    if (matcher?.allOf) parts.push(`${kind}: all of ${matcher.allOf.join(', ')}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'anyone';
}

/** One attribute a policy may read: its `var` path, its type in words, what it is for. */
export interface AttributeRow {
  /** Whose attribute: "claims", "chat resources", "action", "context". */
  readonly of: string;
  readonly path: string;
  readonly type: string;
  readonly description?: string;
}

function typeText(attribute: AttributeView): string {
  if (attribute.enum) return `${attribute.type}, one of ${attribute.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (attribute.type === 'array' && attribute.items) return `array of ${typeText(attribute.items)}`;
  return attribute.type;
}

function rowsOf(of: string, prefix: string, set: AttributeSetView | undefined): AttributeRow[] {
  return Object.entries(set?.attributes ?? {}).flatMap(([name, attribute]) => [
    { of, path: `${prefix}.${name}`, type: typeText(attribute), ...(attribute.description ? { description: attribute.description } : {}) },
    // An object's declared properties are paths of their own.
    ...rowsOf(of, `${prefix}.${name}`, attribute.properties ? { attributes: attribute.properties } : undefined),
  ]);
}

/** Every attribute the schema declares, by the `var` path a condition reads it with. */
export function attributeRows(schema: AttributeSchemaView): AttributeRow[] {
  return [
    ...rowsOf('claims', 'subject.claims', schema.claims),
    ...Object.entries(schema.resources).flatMap(([type, set]) => rowsOf(`${type} resources`, 'resource.attributes', set)),
    ...rowsOf('action', 'action.properties', schema.actionProperties),
    ...rowsOf('context', 'context', schema.context),
  ];
}
