/**
 * Reading JSON the way a policy author needs: a syntax error says where (line and column), and a
 * key written twice in one object is an error. JSON.parse silently keeps the last duplicate, so
 * `{"effect": "deny", …, "effect": "allow"}` would otherwise turn a deny into an allow unseen.
 */
import { escapePointer } from '../common/json-pointer.js';

export interface JsonIssue {
  pointer: string;
  message: string;
}

export type JsonParseResult = { ok: true; value: unknown; issues: JsonIssue[] } | { ok: false; issues: JsonIssue[] };

function lineAndColumn(text: string, position: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return `line ${line}, column ${column}`;
}

/**
 * Parses JSON text. On a syntax error: one issue at pointer "". On success: the value, plus an
 * issue for each duplicate key (the caller treats those as errors too).
 */
export function parseJson(rawText: string): JsonParseResult {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message may quote the start of the text (`…, "root:x:0:0"... is not valid JSON`, the
    // quote cut short with "..."). Errors travel far (CLI, logs, GET /v1/policies), and a
    // mislinked file could be anything: keep only the first clause, and say where.
    const raw = err instanceof Error ? err.message : String(err);
    const message = raw.replace(/,? ?".*"(?:\.\.\.)? is not valid JSON$/s, '');
    const match = /position (\d+)/.exec(raw);
    let position = match ? Number(match[1]) : null;
    if (position === null) {
      try {
        position = scanJson(text).errorAt;
      } catch {
        position = null;
      }
    }
    const where = position === null ? '' : ` (${lineAndColumn(text, position)})`;
    return { ok: false, issues: [{ pointer: '', message: `invalid JSON: ${message}${where}` }] };
  }
  let issues: JsonIssue[];
  try {
    issues = scanJson(text).duplicates;
  } catch {
    issues = [{ pointer: '', message: 'JSON nested too deeply to check for duplicate keys' }];
  }
  return { ok: true, value, issues };
}

/** Where a JSON text stops being valid, found by `scanJson`. */
class ScanError extends Error {
  constructor(readonly position: number) {
    super(`invalid JSON at position ${position}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * One pass over JSON text: every duplicate key (with its pointer), and the position of the first
 * syntax error, if any (V8's JSON.parse does not always say where).
 */
export function scanJson(text: string): { duplicates: JsonIssue[]; errorAt: number | null } {
  const duplicates: JsonIssue[] = [];
  let i = 0;
  const fail = (): never => {
    throw new ScanError(Math.min(i, text.length));
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const expectChar = (c: string): void => {
    ws();
    if (text[i] !== c) fail();
    i++;
  };
  const string = (): string => {
    if (text[i] !== '"') fail();
    const start = i;
    i++;
    let escaped = false;
    for (let code = text.charCodeAt(i); i < text.length && code !== 0x22; code = text.charCodeAt(i)) {
      if (code < 0x20) fail();
      if (code === 0x5c) {
        escaped = true;
        i += 2;
      } else i++;
    }
    if (i >= text.length) fail();
    i++;
    // Without an escape a JSON string is its own text: no JSON.parse per string (a data file of
    // 100,000 users holds a million of them).
    if (!escaped) return text.slice(start + 1, i - 1);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail();
    }
  };
  const value = (pointer: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = string();
        const child = `${pointer}/${escapePointer(key)}`;
        if (keys.has(key)) duplicates.push({ pointer: child, message: `duplicate key "${key}"` });
        keys.add(key);
        expectChar(':');
        value(child);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        value(`${pointer}/${index}`);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') {
      string();
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail();
      i = NUMBER.lastIndex;
    }
  };
  try {
    value('');
    ws();
    if (i < text.length) fail();
    return { duplicates, errorAt: null };
  } catch (err) {
    if (err instanceof ScanError) return { duplicates, errorAt: err.position };
    throw err;
  }
}
