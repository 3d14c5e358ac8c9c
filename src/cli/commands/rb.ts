/**
 * `stowage rb s3://bucket [--force [--bypass-governance-retention]]`: removes a bucket;
 * `--force` first deletes every object version, delete marker and unfinished upload in it
 * (with the bypass, versions under GOVERNANCE Object Lock retention too).
 */
import type { Command } from 'commander';
import { deleteBucket, emptyBucket, type EmptiedItem } from '../../client/ops/index.js';
import { formatS3Url } from '../../client/index.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { printable } from '../printable.js';
import { reportItemFailure } from '../store-format.js';
import { storeFor } from '../store.js';
import { bucketArg } from './mb.js';

/** What an item is, after its URL: the upload or the version (none for a `null` version). */
function itemSuffix(item: EmptiedItem): string {
  if (item.uploadId) return ` (upload ${item.uploadId})`;
  return item.versionId && item.versionId !== 'null'
    ? ` (${item.deleteMarker ? 'delete marker' : 'version'} ${item.versionId})`
    : '';
}

function itemText(bucket: string, item: EmptiedItem): string {
  const url = printable(formatS3Url({ bucket, key: item.key }));
  return `${item.uploadId ? 'abort_upload' : 'delete'}: ${url}${itemSuffix(item)}`;
}

/**
 * Registers `stowage rb`.
 *
 * @example
 * registerRbCommand(program, ctx); // stowage rb s3://scratch --force
 */
export function registerRbCommand(program: Command, ctx: CliContext): void {
  program
    .command('rb')
    .description('remove a bucket; --force deletes its objects and versions first')
    .argument('<url>', 's3://bucket')
    .option('--force', 'delete every object version, delete marker and unfinished upload first')
    .option(
      '--bypass-governance-retention',
      'with --force: also delete versions under GOVERNANCE Object Lock retention (needs s3:BypassGovernanceRetention)',
    )
    .action(async (url: string, o: { force?: boolean; bypassGovernanceRetention?: boolean }) => {
      const bucket = bucketArg(url);
      if (o.bypassGovernanceRetention && !o.force) {
        throw new StowageError(
          'E_USAGE',
          '--bypass-governance-retention only applies with --force (it is for deleting versions)',
        );
      }
      const { session } = await storeFor(ctx);
      const out = ctx.output();
      const quiet = ctx.globals().quiet === true;
      if (o.force) {
        let failed = 0;
        const bypass = o.bypassGovernanceRetention === true;
        for await (const r of emptyBucket(session, bucket, { bypassGovernanceRetention: bypass })) {
          const item: EmptiedItem = {
            key: r.key,
            versionId: r.versionId,
            deleteMarker: r.deleteMarker,
            uploadId: r.uploadId,
          };
          if (!r.ok) {
            failed += 1;
            const url = formatS3Url({ bucket, key: item.key });
            reportItemFailure(ctx, `${url}${itemSuffix(item)}`, r.error);
          } else if (!quiet || out.json) {
            out.line({ type: 'delete', ok: true, bucket, ...item }, () => itemText(bucket, item));
          }
        }
        if (failed > 0) {
          const error = new StowageError(
            'E_BUCKET_NOT_EMPTY',
            `s3://${bucket}/ was not removed: ${failed} item(s) could not be deleted`,
            { details: { bucket, failed } },
          );
          reportItemFailure(ctx, `s3://${bucket}/`, error);
          return;
        }
      }
      await deleteBucket(session, bucket);
      out.line({ type: 'remove_bucket', bucket }, () => `remove_bucket: ${bucket}`);
    });
}
