/**
 * `stowage du [s3://bucket[/prefix]] [--by-class]`: objects and bytes under a prefix (or in
 * every bucket), summed from a streaming listing.
 */
import type { Command } from 'commander';
import { diskUsage, listBuckets, type DiskUsage } from '../../client/ops/index.js';
import type { CliContext } from '../context.js';
import { reportItemFailure, s3Arg, sizeText } from '../store-format.js';
import { storeFor } from '../store.js';

interface DuOptions {
  byClass?: boolean;
  humanReadable?: boolean;
}

const count = (n: number) => `${n} object${n === 1 ? '' : 's'}`;

function usageText(u: DiskUsage, o: DuOptions): string {
  const url = `s3://${u.bucket}/${u.prefix}`;
  const lines = [
    `${sizeText(u.bytes, o.humanReadable).padStart(12)}  ${count(u.objects).padEnd(14)}  ${url}`,
  ];
  if (o.byClass) {
    for (const [cls, t] of Object.entries(u.byClass).sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(
        `${sizeText(t.bytes, o.humanReadable).padStart(12)}  ${count(t.objects).padEnd(14)}    ${cls}`,
      );
    }
  }
  return lines.join('\n');
}

function usageJson(u: DiskUsage, o: DuOptions): Record<string, unknown> {
  const { byClass, ...rest } = u;
  return { url: `s3://${u.bucket}/${u.prefix}`, ...rest, ...(o.byClass ? { byClass } : {}) };
}

/**
 * Registers `stowage du`.
 *
 * @example
 * registerDuCommand(program, ctx); // stowage du s3://backups --by-class --human-readable
 */
export function registerDuCommand(program: Command, ctx: CliContext): void {
  program
    .command('du')
    .description('count objects and bytes under an s3:// URL, or in every bucket')
    .argument('[url]', 's3://bucket[/prefix]; none sums every bucket')
    .option('--by-class', 'split the totals by storage class')
    .option('--human-readable', 'sizes in KiB, MiB, GiB …')
    .action(async (url: string | undefined, o: DuOptions) => {
      const where = url === undefined ? undefined : s3Arg(url);
      const { session } = await storeFor(ctx);
      const out = ctx.output();
      const targets = where
        ? [{ bucket: where.bucket, prefix: where.key }]
        : (await listBuckets(session)).map((b) => ({ bucket: b.name, prefix: '' }));
      for (const t of targets) {
        let usage: DiskUsage;
        try {
          usage = await diskUsage(session, t);
        } catch (err) {
          // One bucket of many may be unreadable (another owner's policy): report, go on.
          if (where) throw err;
          reportItemFailure(ctx, `s3://${t.bucket}/`, err);
          continue;
        }
        out.line(usageJson(usage, o), () => usageText(usage, o));
      }
    });
}
