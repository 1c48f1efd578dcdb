// Turns a service's output line into one short readable line. Services log pino JSON (one object
// per line); anything else (a Node warning, a stack trace) is passed through, escaped the same way.

const LEVELS = new Map([
  [10, 'TRACE'],
  [20, 'DEBUG'],
  [30, 'INFO'],
  [40, 'WARN'],
  [50, 'ERROR'],
  [60, 'FATAL'],
]);

// pino's own bookkeeping; the prefix already says which service it is.
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v', 'name']);
const MAX_VALUE = 160;

const COLOURS = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  magenta: '\x1b[35m',
  blue: '\x1b[34m',
  bold: '\x1b[1m',
};

// Logged values come from requests (a subject id, a user name, a path). Printed raw, a newline
// would start a forged line under the service's prefix and an escape sequence would rewrite the
// terminal, so C0, DEL and C1 controls, the Unicode line and paragraph separators and the bidi
// controls are printed as escapes: one log line is always one console line, and the painter's
// colours are the only control sequences that reach the terminal.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const NAMED = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
]);

/** `text` with every control, separator and bidi character written as a visible escape. */
export function escapeControls(text) {
  return String(text).replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return NAMED.get(char) ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

export function createPainter(enabled) {
  const paint = (colour, text) => (enabled ? `${COLOURS[colour]}${text}${COLOURS.reset}` : text);
  return { paint, enabled };
}

function clock(time) {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(11, 19);
}

// JSON.stringify keeps U+2028, U+2029 and the bidi controls as they are: escapeControls runs on
// every rendered value, whatever its type.
function render(value) {
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  const text = escapeControls(json === undefined ? String(value) : json);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

// Request logs carry nested req/res objects; a method, path and status say enough.
function summariseHttp(entry) {
  const { req, res } = entry;
  const parts = [];
  if (req && typeof req === 'object') {
    if (req.method) parts.push(render(req.method));
    if (req.url) parts.push(render(req.url));
  }
  if (res && typeof res === 'object' && res.statusCode !== undefined) parts.push(`-> ${render(res.statusCode)}`);
  return parts.join(' ');
}

// A PDP decision-log line in one glance: who, what, the outcome, why, and which revision.
function summariseDecision(entry, painter) {
  const resource = entry.resource && typeof entry.resource === 'object' ? entry.resource : {};
  const target = `${render(resource.type ?? '?')}${resource.id ? `/${render(resource.id)}` : ''}`;
  const reasons = Array.isArray(entry.reasons)
    ? entry.reasons.map((r) => render(r && typeof r === 'object' ? (r.code ? `${r.code}` : `${r.policy}/${r.rule}`) : String(r))).join(', ')
    : '';
  const effect = entry.effect === 'allow' ? painter.paint('green', 'allow') : painter.paint('red', render(entry.effect ?? 'deny'));
  const parts = [`decision ${effect}`, `${render(entry.subject ?? '(token)')} ${render(entry.action ?? '?')} ${target}`];
  parts.push(reasons ? `by ${reasons}` : '(default deny)');
  if (entry.tokenError) parts.push(`token ${render(entry.tokenError)}`);
  const details = [];
  if (typeof entry.revision === 'string') details.push(`revision=${render(entry.revision.slice(0, 19))}`);
  if (typeof entry.latencyUs === 'number') details.push(`${entry.latencyUs}µs`);
  return `${parts.join(' ')} ${painter.paint('dim', details.join(' '))}`.trimEnd();
}

/**
 * Formats one output line of a service.
 * @param {string} line raw line
 * @param {{ paint: (c: string, t: string) => string }} painter
 * @returns {string} one line, or several separated by \n (each gets the service's prefix); the
 *   only newlines and control sequences in it are the formatter's and the painter's own
 */
export function formatLogLine(line, painter) {
  const trimmed = line.trimEnd();
  const raw = escapeControls(trimmed);
  if (!trimmed.startsWith('{')) return raw;
  let entry;
  try {
    entry = JSON.parse(trimmed);
  } catch {
    return raw;
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return raw;
  if (typeof entry.level !== 'number' && typeof entry.level !== 'string') return raw;

  if (entry.kind === 'decision') {
    return `${painter.paint('dim', clock(entry.time))} ${painter.paint('green', 'INFO ')} ${summariseDecision(entry, painter)}`;
  }
  const level = typeof entry.level === 'number' ? (LEVELS.get(entry.level) ?? String(entry.level)) : escapeControls(entry.level.toUpperCase());
  const levelColour = level === 'ERROR' || level === 'FATAL' ? 'red' : level === 'WARN' ? 'yellow' : level === 'INFO' ? 'green' : 'dim';
  const http = summariseHttp(entry);
  const fields = [];
  // Policy load errors (file + JSON pointer + message) read best one per line, as `pdp check` prints them.
  const loadErrors = Array.isArray(entry.errors) && entry.errors.every((e) => e && typeof e === 'object' && 'message' in e) ? entry.errors : [];
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if (key === 'errors' && loadErrors.length > 0) continue;
    if (http && (key === 'req' || key === 'res')) continue;
    if (key === 'err' && value && typeof value === 'object') {
      fields.push(`err=${render(value.message ?? value.type ?? value)}`);
      continue;
    }
    fields.push(`${escapeControls(key)}=${render(value)}`);
  }
  const msg = typeof entry.msg === 'string' ? escapeControls(entry.msg) : '';
  const head = [painter.paint('dim', clock(entry.time)), painter.paint(levelColour, level.padEnd(5)), msg, http]
    .filter((part) => part !== '')
    .join(' ');
  const summary = fields.length > 0 ? `${head} ${painter.paint('dim', fields.join(' '))}` : head;
  const details = loadErrors.map((e) => `  ${escapeControls(e.file ?? '')}${e.pointer ? `:${escapeControls(e.pointer)}` : ''}: ${escapeControls(e.message)}`);
  return [summary, ...details].join('\n');
}
