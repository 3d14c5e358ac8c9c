/**
 * `stowage set-class s3://bucket/key CLASS [--recursive]`: changes storage classes in place
 * (a copy onto itself), one result line per object.
 */
import type { Command } from 'commander';
import {
  checkStorageClass,
  setClassRecursive,
  setObjectClass,
  type ClassChange,
  type ItemResult,
} from '../../client/ops/index.js';
import { formatS3Url } from '../../client/index.js';
import { StowageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { reportItemFailure, s3Arg } from '../store-format.js';
import { storeFor } from '../store.js';
import { copyObject, Pacer } from '../../transfer/index.js';
import type { LargeClassCopy, StoreSession } from '../../client/ops/index.js';

/**
 * Objects over 5 GiB: a multipart copy onto themselves through src/transfer (tests lower
 * `multipartThresholdBytes` to exercise it with small objects).
 */
export function largeCopier(
  session: StoreSession,
  multipartThresholdBytes?: number,
): LargeClassCopy {
  const pacer = new Pacer();
  return async (o) => {
    await copyObject({
      client: session.s3,
      pacer,
      ...(multipartThresholdBytes !== undefined ? { multipartThresholdBytes } : {}),
      source: { bucket: o.bucket, key: o.key },
      bucket: o.bucket,
      key: o.key,
      metadataDirective: 'COPY',
      storageClass: o.storageClass,
      ...(o.sse ? { sse: o.sse } : {}),
      ...(o.sseKmsKeyId ? { sseKmsKeyId: o.sseKmsKeyId } : {}),
    });
  };
}

function changeText(url: string, r: ClassChange & { skipped?: string }): string {
  return r.skipped
    ? `skip: ${url} (${r.skipped})`
    : `set-class: ${url} ${r.from ?? '?'} -> ${r.to}`;
}

/**
 * Registers `stowage set-class`.
 *
 * @example
 * registerSetClassCommand(program, ctx); // stowage set-class s3://renders/2025/ GLACIER --recursive
 */
export function registerSetClassCommand(program: Command, ctx: CliContext): void {
  program
    .command('set-class')
    .description('change the storage class of an object, or of every object under a prefix')
    .argument('<url>', 's3://bucket/key, or s3://bucket/prefix with --recursive')
    .argument(
      '<class>',
      'STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE …',
    )
    .option('--recursive', 'every object under the prefix')
    .action(async (url: string, cls: string, o: { recursive?: boolean }) => {
      const where = s3Arg(url);
      const storageClass = checkStorageClass(cls);
      if (!o.recursive && (where.key === '' || where.key.endsWith('/'))) {
        throw new StowageError(
          'E_USAGE',
          `"${url}" names no object: give s3://bucket/key, or add --recursive for a prefix`,
          { details: { url } },
        );
      }
      const { session } = await storeFor(ctx);
      const copyLarge = largeCopier(session);
      const out = ctx.output();
      const report = (r: ItemResult<ClassChange>) => {
        const itemUrl = formatS3Url({ bucket: where.bucket, key: r.key });
        if (!r.ok) {
          reportItemFailure(ctx, itemUrl, r.error);
          return;
        }
        const { ok: _ok, ...rest } = r;
        out.line({ url: itemUrl, ok: true, ...rest }, () => changeText(itemUrl, r));
      };
      if (!o.recursive) {
        report(
          await setObjectClass(session, {
            bucket: where.bucket,
            key: where.key,
            storageClass,
            copyLarge,
          }),
        );
        return;
      }
      const results = setClassRecursive(session, {
        bucket: where.bucket,
        prefix: where.key,
        storageClass,
        copyLarge,
      });
      for await (const r of results) report(r);
    });
}
