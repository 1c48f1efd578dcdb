/**
 * Reading settings from up to three sources (a programmatic option, a command-line flag, an
 * environment variable: the first one given wins) and collecting every problem instead of
 * stopping at the first, so an operator fixes a configuration in one go. Each room parses its
 * own settings with one shared reader; whoever assembles them calls {@link SettingsReader.finish}.
 */
import { ConfigError, type ConfigProblem } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** One setting as given: the name problems are reported under, and its raw value. */
export interface Setting<T> {
  name: string;
  value: T | string;
}

export class SettingsReader {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Env) {}

  /** Records a problem; parsing goes on so that the next one is found too. */
  report(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }

  /**
   * The first given of: option, flag, environment variable. An empty variable counts as unset,
   * unless `emptyIsValue` (for a setting whose empty value means something: `PDP_JWT_TYP=` turns
   * the typ check off).
   */
  pick<T>(
    option: readonly [name: string, value: T | undefined] | undefined,
    flag: readonly [name: string, value: string | undefined] | undefined,
    envName: string | undefined,
    emptyIsValue = false,
  ): Setting<T> | undefined {
    if (option !== undefined && option[1] !== undefined) return { name: option[0], value: option[1] };
    if (flag !== undefined && flag[1] !== undefined) return { name: flag[0], value: flag[1] };
    const raw = envName === undefined ? undefined : this.env[envName];
    if (envName !== undefined && raw !== undefined && (raw !== '' || emptyIsValue)) return { name: envName, value: raw };
    return undefined;
  }

  int(s: Setting<number> | undefined, def: number, min: number, max: number): number {
    if (s === undefined) return def;
    const text = String(s.value).trim();
    const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.report(s.name, `must be an integer from ${min} to ${max} (got ${JSON.stringify(String(s.value))})`);
      return def;
    }
    return n;
  }

  bool(s: Setting<boolean> | undefined, def: boolean): boolean {
    if (s === undefined) return def;
    if (typeof s.value === 'boolean') return s.value;
    const text = s.value.trim().toLowerCase();
    if (['on', 'true', '1', 'yes'].includes(text)) return true;
    if (['off', 'false', '0', 'no'].includes(text)) return false;
    this.report(s.name, `must be on or off (got ${JSON.stringify(s.value)})`);
    return def;
  }

  /** A comma-separated list (or an array), trimmed, without empty items. */
  list(s: Setting<string | readonly string[]> | undefined): string[] {
    if (s === undefined) return [];
    const items = typeof s.value === 'string' ? s.value.split(',') : s.value;
    return items.map((item) => item.trim()).filter((item) => item.length > 0);
  }

  /** The trimmed value, or `def` when not given; an empty value is a problem. */
  nonEmpty(s: Setting<string> | undefined, def: string): string {
    if (s === undefined) return def;
    const text = s.value.trim();
    if (text.length === 0) this.report(s.name, 'must not be empty');
    return text.length === 0 ? def : text;
  }

  /** An absolute http(s) URL, or undefined (with a problem reported) when it is not one. */
  httpUrl(s: Setting<string>): string | undefined {
    const raw = s.value.trim();
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      this.report(s.name, `must be an absolute http(s) URL (got ${JSON.stringify(s.value)})`);
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.report(s.name, `must be an http(s) URL (got ${JSON.stringify(s.value)})`);
      return undefined;
    }
    return raw;
  }

  /** Throws one {@link ConfigError} listing every problem reported, if there was any. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
