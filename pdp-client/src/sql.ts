/**
 * A plan as a parameterised Postgres `WHERE` clause. Identifiers come only from the caller's
 * column map (quoted), values only as `$n` parameters: nothing from the plan is ever spliced into
 * the SQL text. What cannot be translated exactly (an unmapped attribute, an operator or an operand
 * type outside the supported set) throws `untranslatable`: a narrower or wider filter is never
 * produced in its place.
 *
 * Exactness: for rows whose columns hold values of their declared type or NULL (an absent
 * attribute), the clause selects exactly the rows on which the condition is truthy in json-logic.
 * Every translated expression is two-valued (never SQL NULL), so NOT and OR mean what json-logic
 * means. Supported:
 *   and, or, !, !!, if (in a boolean position); a column alone (its truthiness);
 *   ==, ===, !=, !== between a column and a literal of the column's type, or null;
 *   <, <=, >, >= between a number column and a number (a NULL reads as 0, as in JavaScript);
 *   in: a column in a literal list; a string literal in a text column (substring).
 * Number columns must not hold NaN (json-logic reads NaN as false, Postgres as a number).
 */
import type { PlanResponse } from '@oracle-ai/contract';
import { checkCondition, operation, untranslatable } from './residual.js';

export type ColumnType = 'text' | 'number' | 'boolean';

export interface ColumnSpec {
  /** The column's name, or its qualified name as parts (`["d", "owner"]` → `"d"."owner"`). */
  column: string | readonly string[];
  type: ColumnType;
}

export interface SqlOptions {
  /** By var path: `resource.id`, `resource.attributes.owner`, … Unmapped paths are refused. */
  columns: Readonly<Record<string, ColumnSpec>>;
  /** The number of the first parameter (`$1` by default), to append to a query's own. */
  firstParameter?: number;
}

export interface SqlWhere {
  /** A boolean SQL expression, e.g. `("owner" IS NOT NULL AND "owner" = $1::text)`. */
  text: string;
  values: unknown[];
}

const JS_TYPE: Readonly<Record<ColumnType, string>> = { text: 'string', number: 'number', boolean: 'boolean' };
const CAST: Readonly<Record<ColumnType, string>> = { text: 'text', number: 'float8', boolean: 'boolean' };

function quoteIdentifier(name: string): string {
  if (name === '' || name.includes('\u0000')) throw untranslatable('a column name must be non-empty and hold no NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

type Operand = { kind: 'column'; sql: string; type: ColumnType; path: string } | { kind: 'literal'; value: unknown };

const truthy = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : !!v);

class Translator {
  readonly values: unknown[] = [];
  constructor(
    readonly options: SqlOptions,
    readonly first: number,
  ) {}

  param(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.first + this.values.length - 1}::${cast}`;
  }

  operand(node: unknown): Operand {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return { kind: 'literal', value: node };
    const { op, args } = operation(node);
    if (op !== 'var') throw untranslatable(`"${op}" is supported only in a boolean position, not as a value`);
    if (args.length > 1) throw untranslatable('a var with a default cannot be told apart from a NULL column');
    const path = args[0] as string;
    if (!Object.hasOwn(this.options.columns, path)) throw untranslatable(`no column is mapped for ${path}`);
    const spec = this.options.columns[path] as ColumnSpec;
    if (!Object.hasOwn(JS_TYPE, spec.type)) throw untranslatable(`column type "${String(spec.type)}" is not one of text, number, boolean`);
    const parts = typeof spec.column === 'string' ? [spec.column] : [...spec.column];
    if (parts.length === 0) throw untranslatable(`the column for ${path} has no name`);
    return { kind: 'column', sql: parts.map(quoteIdentifier).join('.'), type: spec.type, path };
  }

  /** A boolean SQL expression, never NULL, true exactly where the node is truthy. */
  bool(node: unknown): string {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      if (Array.isArray(node) && node.some((x) => typeof x === 'object' && x !== null)) throw untranslatable('an array of expressions is not supported');
      return truthy(node) ? 'TRUE' : 'FALSE';
    }
    const { op, args } = operation(node);
    switch (op) {
      case 'var':
        return this.columnTruthy(this.operand(node));
      case 'and':
      case 'or':
        if (args.length === 0) return 'FALSE';
        return `(${args.map((a) => this.bool(a)).join(op === 'and' ? ' AND ' : ' OR ')})`;
      case '!':
        return `(NOT ${this.bool(args[0])})`;
      case '!!':
        return this.bool(args[0]);
      case 'if':
      case '?:': {
        if (op === '?:') throw untranslatable('"?:" uses JavaScript truthiness, not json-logic\'s; write "if"');
        let sql = 'CASE';
        let i = 0;
        for (; i < args.length - 1; i += 2) sql += ` WHEN ${this.bool(args[i])} THEN ${this.bool(args[i + 1])}`;
        return `${sql} ELSE ${i < args.length ? this.bool(args[i]) : 'FALSE'} END`;
      }
      case '==':
      case '===':
        return this.equal(args, op === '===');
      case '!=':
      case '!==':
        return `(NOT ${this.equal(args, op === '!==')})`;
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.compare(op, args);
      case 'in':
        return this.within(args);
      default:
        throw untranslatable(`operator "${op}" has no SQL translation`);
    }
  }

  columnTruthy(o: Operand): string {
    if (o.kind === 'literal') return truthy(o.value) ? 'TRUE' : 'FALSE';
    if (o.type === 'boolean') return `(${o.sql} IS TRUE)`;
    return `(${o.sql} IS NOT NULL AND ${o.sql} <> ${o.type === 'text' ? "''" : '0'})`;
  }

  pair(args: unknown[], what: string): [Operand, Operand] {
    if (args.length !== 2) throw untranslatable(`${what} is translated with exactly two operands`);
    return [this.operand(args[0]), this.operand(args[1])];
  }

  equal(args: unknown[], strict: boolean): string {
    const [a, b] = this.pair(args, strict ? '===' : '==');
    if (a.kind === 'column' && b.kind === 'column') throw untranslatable('comparing two columns is not supported');
    if (a.kind === 'literal' && b.kind === 'literal') throw untranslatable('comparing two literals is not supported');
    const column = (a.kind === 'column' ? a : b) as Extract<Operand, { kind: 'column' }>;
    const value = (a.kind === 'literal' ? a : b) as Extract<Operand, { kind: 'literal' }>;
    if (value.value === null) return `(${column.sql} IS NULL)`;
    if (typeof value.value === JS_TYPE[column.type]) return `(${column.sql} IS NOT NULL AND ${column.sql} = ${this.param(value.value, CAST[column.type])})`;
    if (strict && (typeof value.value === 'string' || typeof value.value === 'number' || typeof value.value === 'boolean')) return 'FALSE';
    throw untranslatable(`${column.path} (${column.type}) compared with ${JSON.stringify(value.value)}: JavaScript's loose equality has no exact SQL form`);
  }

  compare(op: string, args: unknown[]): string {
    const [a, b] = this.pair(args, op);
    const side = (o: Operand): string => {
      if (o.kind === 'column') {
        if (o.type !== 'number') throw untranslatable(`${op} is translated for number columns only (${o.path} is ${o.type})`);
        return `COALESCE(${o.sql}, 0)`;
      }
      if (typeof o.value !== 'number') throw untranslatable(`${op} is translated against numbers only, not ${JSON.stringify(o.value)}`);
      return this.param(o.value, 'float8');
    };
    if (a.kind === 'literal' && b.kind === 'literal') throw untranslatable('comparing two literals is not supported');
    return `(${side(a)} ${op} ${side(b)})`;
  }

  within(args: unknown[]): string {
    const [a, b] = this.pair(args, 'in');
    if (a.kind === 'column' && b.kind === 'literal' && Array.isArray(b.value)) {
      // Array.prototype.indexOf: strict equality, so only entries of the column's type (and null) can match.
      const same = b.value.filter((x) => typeof x === JS_TYPE[a.type]);
      if (b.value.some((x) => typeof x === 'object' && x !== null)) throw untranslatable('a list holding lists or objects is not supported');
      const parts: string[] = [];
      if (b.value.includes(null)) parts.push(`(${a.sql} IS NULL)`);
      if (same.length > 0) parts.push(`(${a.sql} IS NOT NULL AND ${a.sql} = ANY(${this.param(same, `${CAST[a.type]}[]`)}))`);
      return parts.length === 0 ? 'FALSE' : `(${parts.join(' OR ')})`;
    }
    if (a.kind === 'literal' && b.kind === 'column') {
      // A number or boolean has no indexOf: json-logic answers false.
      if (b.type !== 'text') return 'FALSE';
      if (typeof a.value !== 'string') throw untranslatable(`in: searching a text column for ${JSON.stringify(a.value)} converts it to a string; only string literals are translated`);
      // An empty string is falsy, so json-logic answers false before searching it.
      return `(${b.sql} IS NOT NULL AND ${b.sql} <> '' AND strpos(${b.sql}, ${this.param(a.value, 'text')}) > 0)`;
    }
    throw untranslatable('in is translated for a column in a literal list, or a string literal in a text column');
  }
}

/** A condition (a plan's residual) as a WHERE expression. */
export function conditionToSql(condition: unknown, options: SqlOptions): SqlWhere {
  checkCondition(condition);
  const first = options.firstParameter ?? 1;
  if (!Number.isSafeInteger(first) || first < 1) throw untranslatable('firstParameter must be a positive integer');
  const t = new Translator(options, first);
  const text = t.bool(condition);
  return { text, values: t.values };
}

/** A plan as a WHERE expression: `TRUE`, `FALSE`, or its condition translated. */
export function planToSql(plan: Pick<PlanResponse, 'kind' | 'condition'>, options: SqlOptions): SqlWhere {
  if (plan.kind === 'always_allowed') return { text: 'TRUE', values: [] };
  if (plan.kind !== 'conditional') return { text: 'FALSE', values: [] };
  return conditionToSql(plan.condition, options);
}
