/**
 * The registry of top-level commands. A new command lives in `commands/<verb>.ts`, exports a
 * {@link CommandRegistrar}, and is added to {@link COMMANDS}. Modules are loaded on demand:
 * a run loads only the module of the command it names (so `stowage serve` never loads the
 * AWS SDK, and `stowage ls` not the engine); `--help` and unknown commands load them all.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * Adds one top-level command (with its subcommands and actions) to the program. Create
 * commands with `program.command(...)` so they inherit exitOverride and the output streams.
 */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

/** One top-level command: its name and how to load its registrar. */
export interface CommandEntry {
  name: string;
  load: () => Promise<CommandRegistrar>;
}

/** Every top-level command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', load: async () => (await import('./serve.js')).registerServeCommand },
  { name: 'engine', load: async () => (await import('./engine.js')).registerEngineCommands },
  { name: 'config', load: async () => (await import('./config.js')).registerConfigCommands },
  { name: 'keys', load: async () => (await import('./keys.js')).registerKeysCommands },
  { name: 'ls', load: async () => (await import('./ls.js')).registerLsCommand },
  { name: 'cp', load: async () => (await import('./cp.js')).registerCpCommand },
  { name: 'mv', load: async () => (await import('./mv.js')).registerMvCommand },
  { name: 'rm', load: async () => (await import('./rm.js')).registerRmCommand },
  { name: 'sync', load: async () => (await import('./sync.js')).registerSyncCommand },
  { name: 'mb', load: async () => (await import('./mb.js')).registerMbCommand },
  { name: 'rb', load: async () => (await import('./rb.js')).registerRbCommand },
  { name: 'stat', load: async () => (await import('./stat.js')).registerStatCommand },
  { name: 'du', load: async () => (await import('./du.js')).registerDuCommand },
  { name: 'presign', load: async () => (await import('./presign.js')).registerPresignCommand },
  { name: 'restore', load: async () => (await import('./restore.js')).registerRestoreCommand },
  {
    name: 'set-class',
    load: async () => (await import('./set-class.js')).registerSetClassCommand,
  },
  { name: 'init', load: async () => (await import('./init.js')).registerInitCommand },
  { name: 'validate', load: async () => (await import('./validate.js')).registerValidateCommand },
  { name: 'plan', load: async () => (await import('./plan.js')).registerPlanCommand },
  { name: 'apply', load: async () => (await import('./apply.js')).registerApplyCommand },
];

/** Global flags that take a value as the next argument (declared in main.ts). */
const GLOBALS_WITH_VALUE = new Set([
  '--config',
  '--data-dir',
  '--log-level',
  '--store',
  '--endpoint-url',
  '--profile',
  '--region',
]);

/** The command `argv` names (its first word that is not a global flag), if any. */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
    if (GLOBALS_WITH_VALUE.has(arg)) i++;
  }
  return undefined;
}

/**
 * The registrars a run of `argv` needs: the named command's alone when it is known, else
 * all of them (for `--help`, and for commander's "unknown command" suggestions).
 */
export async function registrarsFor(argv: readonly string[]): Promise<CommandRegistrar[]> {
  const name = commandNamed(argv);
  if (name === undefined && (argv.includes('--version') || argv.includes('-V'))) return [];
  const entries = COMMANDS.filter((c) => c.name === name);
  return Promise.all((entries.length ? entries : COMMANDS).map((c) => c.load()));
}
