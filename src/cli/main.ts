/**
 * The `stowage` command line: global flags, command registration and the one place where
 * errors become exit codes. `run()` never calls `process.exit`, so tests run it in-process.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from '../config/schema.js';
import { EXIT, StowageError } from '../errors.js';
import { registrarsFor } from './commands/index.js';
import { createCliContext, type CliIo, type GlobalOptions } from './context.js';
import { reportError } from './output.js';

const HELP_FOOTER = `
Exit codes: 0 ok, 1 internal error or some items failed, 2 usage or config error,
3 not found, 4 conflict, 5 integrity error, 6 access denied, 7 out of resources.
See docs/cli.md.`;

/**
 * Runs the CLI with `argv` (without `node` and the script name) and returns the exit code.
 *
 * @example
 * const code = await run(['config', 'show', '--json']);
 * process.exitCode = code;
 */
export async function run(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const cliIo: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  const program = createProgram(cliIo);
  const ctx = createCliContext(cliIo, () => program.opts<GlobalOptions>());

  try {
    for (const register of await registrarsFor(argv)) register(program, ctx);
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    const flags = errorFlags(argv, program.opts<GlobalOptions>(), cliIo.env);
    if (err instanceof CommanderError) {
      // A stack trace of a usage error points into commander, never at the user's mistake.
      flags.verbose = false;
      // --help and --version end parsing through the same exception, with exit code 0.
      if (err.exitCode === 0) return EXIT.ok;
      if (err.code === 'commander.help') {
        // Help was already printed to stderr because no subcommand was given.
        if (!flags.json) return EXIT.usage;
        return reportError(new StowageError('E_USAGE', 'no command given'), cliIo, flags);
      }
      const message = err.message.replace(/^error: /, '');
      const code = reportError(new StowageError('E_USAGE', message), cliIo, flags);
      if (!flags.json) cliIo.stderr.write(`Run 'stowage --help' for usage.\n`);
      return code;
    }
    return reportError(err, cliIo, flags);
  } finally {
    await ctx.runExitHooks();
  }
}

function createProgram(io: CliIo): Command {
  return new Command('stowage')
    .description('Embedded S3-compatible object store, S3 library and CLI.')
    .version(readVersion(), '-V, --version', 'print the version and exit')
    .option('--config <file>', 'config file (default: $STOWAGE_CONFIG or ./stowage.yaml)')
    .option('--data-dir <dir>', 'engine data directory (overrides dataDir)')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .option('--json', 'print results and errors as JSON on stdout')
    .addOption(new Option('-q, --quiet', 'print only results and errors').conflicts('verbose'))
    .option('-v, --verbose', 'debug logging and stack traces (same as --log-level debug)')
    .option('--store <name>', 'store of stowage.yaml that store commands talk to')
    .option('--endpoint-url <url>', 'S3 endpoint URL (overrides the store and AWS_ENDPOINT_URL)')
    .option('--profile <name>', 'AWS profile of ~/.aws/config and ~/.aws/credentials')
    .option('--region <region>', 'region of the store (overrides AWS_REGION)')
    .option('--ca-bundle <file>', 'PEM certificates to trust for HTTPS (overrides AWS_CA_BUNDLE)')
    .option('--no-progress', 'no live progress display for transfers')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', HELP_FOOTER)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are printed by run() in Stowage's own format (and as JSON with --json).
      outputError: () => undefined,
    });
}

/**
 * Flags that shape error output. Parsing may have failed part-way, so the raw argv is
 * consulted too; LOG_LEVEL=debug asks for stack traces like --verbose does.
 */
function errorFlags(
  argv: string[],
  opts: GlobalOptions,
  env: Record<string, string | undefined>,
): { json: boolean; verbose: boolean } {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  const level = opts.logLevel ?? (env.STOWAGE_LOG_LEVEL || env.LOG_LEVEL);
  return {
    json: opts.json === true || args.includes('--json'),
    verbose:
      opts.verbose === true ||
      args.includes('--verbose') ||
      args.includes('-v') ||
      level === 'debug' ||
      level === 'trace',
  };
}

/** The version from package.json, which sits two levels above both src/cli and dist/cli. */
function readVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
