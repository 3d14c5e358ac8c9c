/**
 * `stowage mv SRC DST [--recursive]`: cp, then each source is deleted once its own copy
 * succeeded; a source whose copy failed stays where it was.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerCopyLike } from './cp.js';

/**
 * Registers `stowage mv`.
 *
 * @example
 * registerMvCommand(program, ctx); // stowage mv s3://incoming/ s3://archive/2026/ --recursive
 */
export function registerMvCommand(program: Command, ctx: CliContext): void {
  registerCopyLike(program, ctx, 'mv');
}
