/**
 * The json-logic operators a query plan's condition (the residual of `POST /v1/plan`) may hold:
 * every operator a policy may use except `data`, which the planner always folds (a lookup keyed by
 * the resource is refused, never left in a condition). The PDP's engine derives its policy
 * allow-list from this one (adding `data`) and refuses a plan that would hold anything else;
 * `@oracle-ai/pdp-client` refuses to translate or run anything else, `method` above all.
 *
 * Left out of policies, so never in a plan: `log` (a side effect), `missing`/`missing_some` (they
 * read data by computed keys), `map`/`filter`/`reduce`/`all`/`some`/`none` (they rebind the data to
 * request values), and `method` (calls arbitrary methods in older json-logic-js versions).
 */
export const PLAN_OPERATORS = Object.freeze([
  // logic and comparison
  '==', '===', '!=', '!==', '!', '!!', 'and', 'or', 'if', '?:',
  // numbers
  '>', '>=', '<', '<=', '+', '-', '*', '/', '%', 'min', 'max',
  // strings and arrays
  'in', 'cat', 'substr', 'merge',
  // the request's data, read as own properties only
  'var',
] as const);

export type PlanOperator = (typeof PLAN_OPERATORS)[number];
