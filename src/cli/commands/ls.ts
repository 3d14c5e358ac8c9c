/**
 * `stowage ls [s3://bucket[/prefix]]`: buckets, or objects and prefixes, printed as
 * `aws s3 ls` prints them; the listing streams page by page.
 */
import type { Command } from 'commander';
import { listBuckets, listObjects, type ListEntry } from '../../client/ops/index.js';
import type { CliContext } from '../context.js';
import { awsDate, intFlag, s3Arg, sizeText } from '../store-format.js';
import { printable } from '../printable.js';
import { storeFor } from '../store.js';

interface LsOptions {
  recursive?: boolean;
  summarize?: boolean;
  humanReadable?: boolean;
  pageSize?: string;
}

/** The part of a key or prefix aws-cli prints in a non-recursive listing. */
function baseName(text: string): string {
  const trimmed = text.endsWith('/') ? text.slice(0, -1) : text;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function entryText(e: ListEntry, o: LsOptions): string {
  // A key with a newline or ESC in it must not break the listing or drive the terminal.
  if (e.type === 'prefix') {
    return `${'PRE'.padStart(30)} ${printable(o.recursive ? e.prefix : `${baseName(e.prefix)}/`)}`;
  }
  const name = printable(o.recursive ? e.key : baseName(e.key));
  return `${awsDate(e.lastModified)} ${sizeText(e.size, o.humanReadable).padStart(10)} ${name}`;
}

function entryJson(e: ListEntry): Record<string, unknown> {
  if (e.type === 'prefix') return { type: 'prefix', prefix: e.prefix };
  return {
    type: 'object',
    key: e.key,
    size: e.size,
    lastModified: e.lastModified?.toISOString(),
    etag: e.etag,
    storageClass: e.storageClass,
  };
}

/**
 * Registers `stowage ls`.
 *
 * @example
 * registerLsCommand(program, ctx); // stowage ls s3://assets/renders/ --recursive --summarize
 */
export function registerLsCommand(program: Command, ctx: CliContext): void {
  program
    .command('ls')
    .description('list buckets, or the objects and prefixes under an s3:// URL')
    .argument('[url]', 's3://bucket[/prefix]; none lists the buckets')
    .option('--recursive', 'every object under the prefix, with full keys')
    .option('--summarize', 'print the number of objects and their total size at the end')
    .option('--human-readable', 'sizes in KiB, MiB, GiB …')
    .option('--page-size <n>', 'keys per list request (1-1000)')
    .action(async (url: string | undefined, o: LsOptions) => {
      const where = url === undefined ? undefined : s3Arg(url);
      const pageSize =
        o.pageSize === undefined ? undefined : intFlag('--page-size', o.pageSize, 1, 1000);
      const { session } = await storeFor(ctx);
      const out = ctx.output();
      if (!where) {
        for (const b of await listBuckets(session)) {
          out.line(
            { type: 'bucket', name: b.name, created: b.created?.toISOString() },
            () => `${awsDate(b.created)} ${b.name}`,
          );
        }
        return;
      }
      let objects = 0;
      let bytes = 0;
      let entries = 0;
      const listing = listObjects(session, {
        bucket: where.bucket,
        prefix: where.key,
        recursive: o.recursive,
        pageSize,
      });
      for await (const e of listing) {
        entries += 1;
        if (e.type === 'object') {
          objects += 1;
          bytes += e.size;
        }
        out.line(entryJson(e), () => entryText(e, o));
      }
      if (o.summarize) {
        out.line({ type: 'summary', objects, bytes }, () =>
          [
            '',
            `Total Objects: ${objects}`,
            `   Total Size: ${sizeText(bytes, o.humanReadable)}`,
          ].join('\n'),
        );
      }
      if (entries === 0 && where.key !== '') {
        // aws-cli exits 1 when a prefix matches nothing; say so instead of staying silent.
        ctx.exitCode = 1;
        if (!ctx.globals().quiet) {
          ctx.io.stderr.write(`stowage: nothing matches s3://${where.bucket}/${where.key}\n`);
        }
      }
    });
}
