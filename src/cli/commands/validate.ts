/** `stowage validate`: checks the `buckets:` declaration against S3's rules without touching a store. */
import type { Command } from 'commander';
import { formatIssue, validateBuckets } from '../../bucketconfig/validate.js';
import { EXIT } from '../../errors.js';
import type { CliContext } from '../context.js';

/**
 * Registers `stowage validate`. Exit 0 when the file is valid (warnings allowed), 2 when it
 * has errors (a schema error is E_CONFIG_INVALID, also exit 2).
 *
 * @example
 * registerValidateCommand(program, ctx); // stowage validate --config stowage.yaml --json
 */
export function registerValidateCommand(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check the buckets: declaration against S3 rules (no store is contacted)')
    .action(async () => {
      const { config, configFile } = await ctx.resolvedConfig();
      const { errors, warnings } = validateBuckets(config);
      const out = ctx.output();
      const buckets = Object.keys(config.buckets ?? {}).length;
      if (errors.length > 0) ctx.exitCode = EXIT.usage;
      out.result(
        { ok: errors.length === 0, configFile: configFile ?? null, buckets, errors, warnings },
        () => {
          const lines = [
            ...errors.map((i) => formatIssue('error', i)),
            ...warnings.map((i) => formatIssue('warning', i)),
          ];
          const where = configFile ?? 'no config file';
          lines.push(
            errors.length
              ? `${where}: ${errors.length} error(s), ${warnings.length} warning(s)`
              : `${where}: ok, ${buckets} bucket(s), ${warnings.length} warning(s)`,
          );
          return `${lines.join('\n')}\n`;
        },
      );
    });
}
