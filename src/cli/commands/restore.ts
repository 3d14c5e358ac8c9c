/**
 * `stowage restore s3://bucket/key --days N [--tier T] [--wait]`: asks for a temporary
 * readable copy of an archived (GLACIER, DEEP_ARCHIVE) object, and optionally waits for it.
 */
import type { Command } from 'commander';
import {
  requestRestore,
  RESTORE_TIERS,
  waitForRestore,
  type RestoreTier,
} from '../../client/ops/index.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { parseDurationMs } from '../duration.js';
import { intFlag, s3Arg } from '../store-format.js';
import { storeFor } from '../store.js';

interface RestoreFlags {
  days: string;
  tier: string;
  wait?: boolean;
  timeout: string;
  pollInterval: string;
}

/** Matches `standard`, `BULK` … to S3's spelling. */
function tierArg(text: string): RestoreTier {
  const tier = RESTORE_TIERS.find((t) => t.toLowerCase() === text.toLowerCase());
  if (!tier) {
    throw new StowageError(
      'E_USAGE',
      `invalid --tier "${text}": expected ${RESTORE_TIERS.join(', ')}`,
      { details: { tier: text } },
    );
  }
  return tier;
}

/**
 * Registers `stowage restore`.
 *
 * @example
 * registerRestoreCommand(program, ctx); // stowage restore s3://backups/db.sql.gz --days 7 --tier Bulk --wait
 */
export function registerRestoreCommand(program: Command, ctx: CliContext): void {
  program
    .command('restore')
    .description('restore an archived (GLACIER, DEEP_ARCHIVE) object for some days')
    .argument('<url>', 's3://bucket/key')
    .requiredOption('--days <n>', 'days the restored copy stays readable')
    .option('--tier <tier>', `retrieval tier: ${RESTORE_TIERS.join(', ')}`, 'Standard')
    .option('--wait', 'wait until the restored copy is readable')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 30m, 12h)', '48h')
    .option('--poll-interval <duration>', 'with --wait: first pause between checks; it grows', '2s')
    .action(async (url: string, o: RestoreFlags) => {
      const where = s3Arg(url);
      const days = intFlag('--days', o.days, 1, 2_147_483_647);
      const tier = tierArg(o.tier);
      const timeoutMs = parseDurationMs(o.timeout);
      const initialDelayMs = Math.max(1, parseDurationMs(o.pollInterval));
      const { session } = await storeFor(ctx);
      const { bucket, key } = where;
      const outcome = await requestRestore(session, { bucket, key, days, tier });
      const out = ctx.output();
      const said = {
        started: `started (${tier}, ${days} day${days === 1 ? '' : 's'})`,
        extended: `already restored; now readable for ${days} day${days === 1 ? '' : 's'}`,
        'in-progress': 'a restore is already in progress',
      }[outcome];
      out.line({ type: 'restore', url, outcome, tier, days }, () => `restore: ${url}: ${said}`);
      if (!o.wait) return;
      const state = await waitForRestore(session, { bucket, key, timeoutMs, initialDelayMs });
      const until = state.expiry ? ` (readable until ${state.expiry.toISOString()})` : '';
      out.line(
        { type: 'restored', url, expiry: state.expiry?.toISOString() },
        () => `restored: ${url}${until}`,
      );
    });
}
