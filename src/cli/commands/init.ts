/** `stowage init`: writes a commented starting stowage.yaml, from a preset or the starter. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { getPreset, PRESETS, STARTER_YAML } from '../../bucketconfig/presets/index.js';
import { DEFAULT_CONFIG_FILE } from '../../config/load.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';

interface InitFlags {
  preset?: string;
  output?: string;
  force?: boolean;
}

/**
 * Registers `stowage init [--preset NAME] [--output FILE] [--force]`. Exit 0 when the file
 * was written; 2 for an unknown preset (the message lists the presets) or an existing file
 * without `--force`.
 *
 * @example
 * registerInitCommand(program, ctx); // stowage init --preset ziggie --output stowage.yaml
 */
export function registerInitCommand(program: Command, ctx: CliContext): void {
  const names = PRESETS.map((p) => p.name).join(', ');
  program
    .command('init')
    .description('write a commented stowage.yaml to start from (a preset reproduces a seed)')
    .option('--preset <name>', `start from a preset: ${names}`)
    .option('-o, --output <file>', `file to write (default: ./${DEFAULT_CONFIG_FILE})`)
    .option('--force', 'overwrite the file if it exists')
    .action(async (flags: InitFlags) => {
      const yaml = flags.preset === undefined ? STARTER_YAML : getPreset(flags.preset).yaml;
      const file = path.resolve(ctx.io.cwd, flags.output ?? DEFAULT_CONFIG_FILE);
      await writeConfigFile(file, yaml, flags.force === true);
      const preset = flags.preset ?? null;
      ctx.output().result({ file, preset, next: ['stowage validate', 'stowage plan'] }, () => {
        const what = preset ? `preset "${preset}"` : 'the starter';
        return `wrote ${file} (${what})\nnext: stowage validate, stowage plan\n`;
      });
    });
}

/** Writes `text` to `file`; an existing file is replaced only when `force` is set. */
async function writeConfigFile(file: string, text: string, force: boolean): Promise<void> {
  try {
    // `wx` fails when the file exists, so a file appearing meanwhile is not overwritten either.
    await writeFile(file, text, { flag: force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new StowageError(
        'E_USAGE',
        `${file} already exists; use --force to overwrite it or --output to write another file`,
        { details: { file } },
      );
    }
    throw new StowageError('E_USAGE', `cannot write ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file, code },
    });
  }
}
