/**
 * A rule's json-logic condition as one line a person reads, e.g.
 * `subject.claims.account_status = "suspended"`. For display only: the PDP evaluates the
 * json-logic itself, this never decides anything. An operator it does not know is written as a
 * call, `op(arg, …)`, so nothing of the condition is hidden.
 */
export function conditionText(logic: unknown): string {
  return render(logic, 0);
}

/** The request paths a condition reads with `var` (literal paths only), in order, once each. */
export function varsOf(logic: unknown): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [op, args] of Object.entries(node)) {
        const first = Array.isArray(args) ? args[0] : args;
        if (op === 'var' && typeof first === 'string' && first !== '') found.add(first);
        walk(args);
      }
    }
  };
  walk(logic);
  return [...found];
}

const COMPARISONS: Readonly<Record<string, string>> = {
  '==': '=',
  '===': '=',
  '!=': '≠',
  '!==': '≠',
  '<': '<',
  '<=': '≤',
  '>': '>',
  '>=': '≥',
};
const SUMS: Readonly<Record<string, string>> = { '+': '+', '-': '−' };
const PRODUCTS: Readonly<Record<string, string>> = { '*': '×', '/': '÷', '%': 'mod' };

// Binding strength: a weaker expression inside a stronger one gets parentheses.
const OR = 1;
const AND = 2;
const NOT = 3;
const COMPARE = 4;
const SUM = 5;
const PRODUCT = 6;
const ATOM = 9;

function render(logic: unknown, outer: number): string {
  const [text, strength] = part(logic);
  return strength < outer ? `(${text})` : text;
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => render(v, 0)).join(', ')}]`;
  return JSON.stringify(value) ?? String(value);
}

/** `{"var": "a.b"}` or `{"var": ["a.b", fallback]}`. */
function variable(args: unknown[]): string {
  const [path, fallback] = args;
  const name = typeof path === 'string' && path !== '' ? path : render(path, ATOM);
  return args.length > 1 ? `${name} (else ${render(fallback, 0)})` : name;
}

function part(logic: unknown): [string, number] {
  if (logic === null || typeof logic !== 'object' || Array.isArray(logic)) return [literal(logic), ATOM];
  const entries = Object.entries(logic);
  if (entries.length !== 1) return [JSON.stringify(logic), ATOM];
  const [op, raw] = entries[0]!;
  const args = Array.isArray(raw) ? raw : [raw];
  const all = (strength: number, separator: string): string => args.map((a) => render(a, strength)).join(separator);

  switch (op) {
    case 'var':
      return [variable(args), ATOM];
    case 'data':
      return [`data ${args.map((a, i) => (i === 0 && typeof a === 'string' ? a : `[${render(a, 0)}]`)).join('')}`, ATOM];
    case 'and':
      return [all(AND + 1, ' and '), AND];
    case 'or':
      return [all(OR + 1, ' or '), OR];
    case '!':
      return [`not ${render(args[0], NOT)}`, NOT];
    case '!!':
      return [`${render(args[0], COMPARE + 1)} is truthy`, COMPARE];
    case 'in':
      return [`${render(args[0], COMPARE + 1)} in ${render(args[1], COMPARE + 1)}`, COMPARE];
    case 'if':
    case '?:': {
      // [cond, then, cond2, then2, …, else]
      const pieces: string[] = [];
      for (let i = 0; i + 1 < args.length; i += 2) pieces.push(`${i === 0 ? 'if' : 'else if'} ${render(args[i], 0)} then ${render(args[i + 1], 0)}`);
      if (args.length % 2 === 1) pieces.push(`else ${render(args[args.length - 1], 0)}`);
      return [pieces.join(' '), OR - 1];
    }
  }
  if (op in COMPARISONS && args.length >= 2) return [all(COMPARE + 1, ` ${COMPARISONS[op]} `), COMPARE];
  if (op in SUMS && args.length >= 2) return [all(SUM + 1, ` ${SUMS[op]} `), SUM];
  if (op in PRODUCTS && args.length >= 2) return [all(PRODUCT + 1, ` ${PRODUCTS[op]} `), PRODUCT];
  if (op === '-' && args.length === 1) return [`−${render(args[0], ATOM)}`, ATOM];
  return [`${op}(${all(0, ', ')})`, ATOM];
}
