/**
 * `stowage stat s3://bucket/key`: an object's size, ETag, type, metadata, storage class,
 * restore status, encryption, Object Lock and versions.
 */
import type { Command } from 'commander';
import { statObject, type ObjectStat } from '../../client/ops/index.js';
import type { CliContext } from '../context.js';
import { awsDate, humanSize, s3Arg } from '../store-format.js';
import { storeFor } from '../store.js';

function restoreText(s: ObjectStat): string {
  if (!s.restore)
    return s.storageClass === 'GLACIER' || s.storageClass === 'DEEP_ARCHIVE'
      ? 'not restored (archived: start one with `stowage restore`)'
      : '-';
  if (s.restore.ongoing) return 'in progress';
  return `restored${s.restore.expiry ? `, readable until ${s.restore.expiry.toISOString()}` : ''}`;
}

function lockText(lock: NonNullable<ObjectStat['objectLock']>): string {
  const retention = lock.mode
    ? `${lock.mode} until ${lock.retainUntil?.toISOString() ?? '?'}`
    : 'no retention';
  return `${retention}${lock.legalHold ? `, legal hold ${lock.legalHold}` : ''}`;
}

function statText(s: ObjectStat): string {
  const meta = Object.entries(s.metadata);
  const lines = [
    `URL:            s3://${s.bucket}/${s.key}`,
    `Size:           ${s.size}${s.size >= 1024 ? ` (${humanSize(s.size)})` : ''}`,
    `Last modified:  ${s.lastModified ? `${awsDate(s.lastModified)} (${s.lastModified.toISOString()})` : '-'}`,
    `ETag:           ${s.etag ?? '-'}${s.partsCount ? ` (${s.partsCount} parts)` : ''}`,
    `Content-Type:   ${s.contentType ?? '-'}`,
    ...(s.cacheControl ? [`Cache-Control:  ${s.cacheControl}`] : []),
    ...(s.contentEncoding ? [`Content-Encoding: ${s.contentEncoding}`] : []),
    `Storage class:  ${s.storageClass}`,
    `Restore:        ${restoreText(s)}`,
    `Encryption:     ${s.serverSideEncryption ?? 'none'}${s.sseKmsKeyId ? ` (key ${s.sseKmsKeyId})` : ''}`,
    ...(s.objectLock ? [`Object Lock:    ${lockText(s.objectLock)}`] : []),
    `Metadata:       ${meta.length === 0 ? '-' : ''}`,
    ...meta.map(([k, v]) => `  ${k}: ${v}`),
  ];
  if (s.versions === undefined) {
    lines.push('Versions:       (not listed: the store refused ListObjectVersions)');
  } else {
    const count = s.versionCount ?? s.versions.length;
    const shown = count > s.versions.length ? ` (the newest ${s.versions.length} listed)` : '';
    lines.push(`Versions:       ${count}${shown}`);
    for (const v of s.versions) {
      const what = v.deleteMarker ? 'delete marker' : `${v.size} bytes`;
      lines.push(
        `  ${v.versionId}  ${awsDate(v.lastModified)}  ${what}${v.isLatest ? '  (latest)' : ''}`,
      );
    }
  }
  return lines.join('\n');
}

function statJson(s: ObjectStat): Record<string, unknown> {
  return {
    ...s,
    lastModified: s.lastModified?.toISOString(),
    ...(s.objectLock && {
      objectLock: { ...s.objectLock, retainUntil: s.objectLock.retainUntil?.toISOString() },
    }),
    restore: s.restore && {
      ongoing: s.restore.ongoing,
      expiry: s.restore.expiry?.toISOString(),
    },
    versions: s.versions?.map((v) => ({ ...v, lastModified: v.lastModified?.toISOString() })),
  };
}

/**
 * Registers `stowage stat`.
 *
 * @example
 * registerStatCommand(program, ctx); // stowage stat s3://backups/db/latest.sql.gz
 */
export function registerStatCommand(program: Command, ctx: CliContext): void {
  program
    .command('stat')
    .description("print an object's headers, metadata, storage class, restore status and versions")
    .argument('<url>', 's3://bucket/key')
    .action(async (url: string) => {
      const where = s3Arg(url);
      const { session } = await storeFor(ctx);
      const stat = await statObject(session, { bucket: where.bucket, key: where.key });
      ctx.output().line(statJson(stat), () => statText(stat));
    });
}
