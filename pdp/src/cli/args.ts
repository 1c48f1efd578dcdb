import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PdpError } from '../common/errors.js';

/** A command-line mistake: the CLI prints it with the usage and exits with the `usage` code's exit code. */
export class UsageError extends PdpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, options);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, with its errors turned into UsageError. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options, positionals: { min: number; max: number }): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as ParsedArgs;
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError('missing argument');
  if (count > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max] as string}"`);
  return parsed;
}

/** A string option's value, if given. */
export function str(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A boolean option: true when given. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
