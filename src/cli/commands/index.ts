/**
 * The registry of top-level commands. A new command lives in `commands/<verb>.ts`, exports a
 * {@link CommandRegistrar}, and is added to {@link COMMAND_REGISTRARS}.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerConfigCommands } from './config.js';
import { registerEngineCommands } from './engine.js';
import { registerKeysCommands } from './keys.js';
import { registerServeCommand } from './serve.js';
import { registerDuCommand } from './du.js';
import { registerLsCommand } from './ls.js';
import { registerMbCommand } from './mb.js';
import { registerPresignCommand } from './presign.js';
import { registerRbCommand } from './rb.js';
import { registerRestoreCommand } from './restore.js';
import { registerSetClassCommand } from './set-class.js';
import { registerStatCommand } from './stat.js';
import { registerCpCommand } from './cp.js';
import { registerMvCommand } from './mv.js';
import { registerRmCommand } from './rm.js';
import { registerSyncCommand } from './sync.js';
import { registerValidateCommand } from './validate.js';
import { registerPlanCommand } from './plan.js';
import { registerApplyCommand } from './apply.js';
import { registerInitCommand } from './init.js';

/**
 * Adds one top-level command (with its subcommands and actions) to the program. Create
 * commands with `program.command(...)` so they inherit exitOverride and the output streams.
 */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

/** Every top-level command, in the order `--help` lists them. */
export const COMMAND_REGISTRARS: readonly CommandRegistrar[] = [
  registerServeCommand,
  registerEngineCommands,
  registerConfigCommands,
  registerKeysCommands,
  registerLsCommand,
  registerCpCommand,
  registerMvCommand,
  registerRmCommand,
  registerSyncCommand,
  registerMbCommand,
  registerRbCommand,
  registerStatCommand,
  registerDuCommand,
  registerPresignCommand,
  registerRestoreCommand,
  registerSetClassCommand,
  registerInitCommand,
  registerValidateCommand,
  registerPlanCommand,
  registerApplyCommand,
];
