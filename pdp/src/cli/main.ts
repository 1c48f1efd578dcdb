/**
 * The `pdp` command line. Each command is a thin module: parse arguments, call the library, and
 * return an exit code; this file only dispatches, and turns a thrown PdpError into its message
 * and the exit code the error table gives its code (a usage error also prints the usage).
 */
import { exitCodeOf, messageWithCauses, PdpError } from '../common/errors.js';
import { packageVersion } from '../common/version.js';
import { runBuild } from './build.js';
import { runCheck } from './check.js';
import { runEval } from './eval.js';
import { runFmt } from './fmt.js';
import { runReplay } from './replay.js';
import { UsageError } from './args.js';
import { COLOUR, PLAIN, type CliIo } from './output.js';
import { runTest } from './test.js';
import { USAGE } from './usage.js';

/** The real process's streams; colour only on a TTY and without NO_COLOR. */
export function processIo(): CliIo {
  const noColour = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  // `pdp test --json | head` closes the pipe early: that is the reader's choice, not a crash, so
  // the command stops writing and still exits with its own code.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  const write = (stream: NodeJS.WriteStream, text: string): void => {
    if (!stream.destroyed) stream.write(`${text}\n`);
  };
  return {
    out: (text) => write(process.stdout, text),
    err: (text) => write(process.stderr, text),
    style: process.stdout.isTTY === true && !noColour ? COLOUR : PLAIN,
    errStyle: process.stderr.isTTY === true && !noColour ? COLOUR : PLAIN,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** Runs one command line; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `pdp test --help` asks for help: answer it rather than call it an unknown option (serve has its own).
    const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (['check', 'test', 'eval', 'build', 'fmt', 'replay'].includes(command ?? '') && options.some((a) => a === '--help' || a === '-h')) {
      io.out(USAGE);
      return 0;
    }
    switch (command) {
      case 'check':
        return await runCheck(rest, io);
      case 'test':
        return await runTest(rest, io);
      case 'eval':
        return await runEval(rest, io);
      case 'build':
        return await runBuild(rest, io);
      case 'fmt':
        return await runFmt(rest, io);
      case 'replay':
        return await runReplay(rest, io);
      case 'serve': {
        // Loaded only when asked for: the server's dependencies stay out of check/test/eval.
        const { runServe } = await import('./serve.js');
        return await runServe(rest);
      }
      case 'help':
      case '-h':
      case '--help':
        io.out(USAGE);
        return 0;
      case '--version':
      case '-v':
        io.out(packageVersion());
        return 0;
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (!(err instanceof PdpError)) throw err;
    // A usage error's cause is node:util's own wording of the same mistake: not repeated.
    io.err(io.errStyle.red(`pdp: ${err instanceof UsageError ? err.message : messageWithCauses(err)}`));
    if (err instanceof UsageError) io.err(USAGE);
    return exitCodeOf(err);
  }
}
