/** `stowage config show` and `stowage config check [file]`. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { resolveConfig } from '../../config/load.js';
import type { StowageConfig } from '../../config/schema.js';
import { redactSecrets } from '../../log.js';
import { readCaBundle } from '../../client/ca-bundle.js';
import { loadTlsMaterial } from '../../server/tls.js';
import { homeDirOf, type CliContext } from '../context.js';

/**
 * Registers the `config` command group.
 *
 * @example
 * registerConfigCommands(program, ctx); // stowage config show | stowage config check [file]
 */
export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('show or check the configuration (stowage.yaml, env, flags)');

  config
    .command('show')
    .description('print the effective configuration after defaults, file, env and flags')
    .action(async () => {
      const { config: effective, configFile } = await ctx.resolvedConfig();
      // With --verbose the logger reports at debug level where the config came from.
      await ctx.logger();
      // Secrets (root and access-key secrets) are redacted in text as they are in --json.
      ctx.output().result(effective, (value) => showText(redactSecrets(value), configFile));
    });

  config
    .command('check')
    .description(
      'validate a config file and the TLS files and CA bundles it names (default: --config, STOWAGE_CONFIG or ./stowage.yaml)',
    )
    .argument('[file]', 'config file to check')
    .action(async (file: string | undefined) => {
      const options = ctx.configOptions(
        file === undefined
          ? {}
          : { configPath: file, configPathNamedBy: "config check's argument" },
      );
      // Throws E_CONFIG_INVALID (exit 2) naming the bad field; reaching the end means valid.
      const { config: checked, configFile } = await resolveConfig(options);
      // The TLS files are read and matched as `stowage serve` reads them at start-up.
      if (checked.server.tls) loadTlsMaterial(checked.server.tls);
      // A store's CA bundle is read as the first command using that store reads it.
      const env = ctx.io.env;
      const homeDir = homeDirOf(env);
      for (const [name, store] of Object.entries(checked.stores ?? {})) {
        if (store.caBundle !== undefined) {
          readCaBundle(store.caBundle, `stores.${name}.caBundle`, homeDir, ctx.io.cwd);
        }
      }
      const out = ctx.output();
      if (out.json) {
        out.result({ ok: true, configFile: configFile ?? null });
      } else {
        out.message(
          configFile
            ? `${configFile}: ok`
            : 'no config file found (looked for ./stowage.yaml); defaults, env and flags: ok',
        );
      }
    });
}

/** YAML with a comment naming the source, so `config show > stowage.yaml` is a valid config. */
function showText(config: StowageConfig, configFile: string | undefined): string {
  const origin = configFile ? `file ${configFile}` : 'no config file';
  return `# effective configuration (${origin}, then env and flags)\n${stringify(config)}`;
}
