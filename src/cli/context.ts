/**
 * What every command gets: the process streams, the parsed global flags, output helpers,
 * and the configuration and logger, each created once on first use.
 */
import os from 'node:os';
import {
  resolveConfig,
  type ConfigFlags,
  type LoadConfigOptions,
  type ResolvedConfig,
} from '../config/load.js';
import type { LogLevel, StowageConfig } from '../config/schema.js';
import { EXIT } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { createOutput, type Output } from './output.js';

/** A writable text stream; `isTTY` decides whether logs are pretty-printed. */
export interface TextSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The process surroundings of one CLI run; tests pass their own. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** What `-` reads (`cp - s3://…`, `keys create --policy -`). */
  stdin: AsyncIterable<Uint8Array>;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** The global flags, as commander parses them. */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  logLevel?: LogLevel;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Handed to every command registrar. */
export interface CliContext {
  readonly io: CliIo;
  /** Global flags of this run; read them inside an action, after parsing. */
  globals(): GlobalOptions;
  /** Printing helpers that honour `--json` and `--quiet`. */
  output(): Output;
  /** Loader options built from the global flags, env and cwd, with `overrides` applied. */
  configOptions(overrides?: Partial<LoadConfigOptions>): LoadConfigOptions;
  /**
   * The effective config of this run and where it came from; loaded once. A command with
   * config flags of its own (`serve --port`) passes them on the first call.
   */
  resolvedConfig(commandFlags?: Partial<ConfigFlags>): Promise<ResolvedConfig>;
  /** Shorthand for `(await resolvedConfig()).config`. */
  config(): Promise<StowageConfig>;
  /** The logger at the configured level, writing to stderr; created once. */
  logger(): Promise<Logger>;
  /** Exit code `run()` returns when the action finishes without throwing. */
  exitCode: number;
  /** Registers `fn` to run when the run ends (success or not), e.g. to close sockets. */
  atExit(fn: () => Promise<void> | void): void;
  /** Runs the registered atExit functions once, in order; never throws. */
  runExitHooks(): Promise<void>;
}

/**
 * Creates the context of one run. `readGlobals` is called lazily because commander fills
 * the global options in only while parsing.
 */
/** The home directory a command reads `~/.aws` and `~/` paths from: `HOME` of its environment. */
export function homeDirOf(env: CliIo['env']): string {
  return env.HOME || env.USERPROFILE || os.homedir();
}

export function createCliContext(io: CliIo, readGlobals: () => GlobalOptions): CliContext {
  let resolved: Promise<ResolvedConfig> | undefined;
  let logger: Promise<Logger> | undefined;

  const exitHooks: (() => Promise<void> | void)[] = [];
  const ctx: CliContext = {
    io,
    exitCode: EXIT.ok,
    atExit: (fn) => void exitHooks.push(fn),
    async runExitHooks() {
      for (const fn of exitHooks.splice(0)) {
        try {
          await fn();
        } catch {
          // Cleanup after the run: its failure must not change the run's outcome.
        }
      }
    },
    globals: readGlobals,
    output: () => createOutput(io, readGlobals()),
    configOptions(overrides = {}) {
      const g = readGlobals();
      return {
        configPath: g.config,
        env: io.env,
        cwd: io.cwd,
        flags: { dataDir: g.dataDir, logLevel: flagLogLevel(g) },
        ...overrides,
      };
    },
    resolvedConfig(commandFlags = {}) {
      if (!resolved) {
        const options = ctx.configOptions();
        const defined = Object.fromEntries(
          Object.entries(commandFlags).filter(([, v]) => v !== undefined),
        );
        resolved = resolveConfig({ ...options, flags: { ...options.flags, ...defined } });
      }
      return resolved;
    },
    async config() {
      return (await ctx.resolvedConfig()).config;
    },
    logger() {
      logger ??= ctx.resolvedConfig().then(({ config, configFile }) => {
        const log = createLogger({
          level: config.log.level,
          pretty: !readGlobals().json && io.stderr.isTTY === true,
          // The process's own stderr goes through FdLogDestination (the default), which a
          // full disk, a closed pipe or a stuck reader can neither kill nor stop.
          destination: io.stderr === process.stderr ? undefined : io.stderr,
        });
        log.debug({ configFile: configFile ?? null, dataDir: config.dataDir }, 'config loaded');
        return log;
      });
      return logger;
    },
  };
  return ctx;
}

/** `--log-level` wins; `--verbose` means debug and `--quiet` keeps only errors. */
function flagLogLevel(g: GlobalOptions): LogLevel | undefined {
  if (g.logLevel) return g.logLevel;
  if (g.verbose) return 'debug';
  if (g.quiet) return 'error';
  return undefined;
}
