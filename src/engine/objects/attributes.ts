/** Changes to an existing version that keep its bytes: tags and Glacier restores. */
import { StowageError } from '../../errors.js';
import type { EngineContext } from '../context.js';
import { extendRestore, restorePhase, startRestore, upgradeRestore } from '../restore.js';
import { restoreOf, toObjectInfo } from '../rows.js';
import type {
  RestoreObjectOptions,
  RestoreObjectResult,
  RestoreTier,
  StorageClass,
} from '../types.js';
import { validateTags } from './input.js';
import { resolveVersion, versionToChange } from './read.js';

/** Returns the tags of a version. */
export function getObjectTagging(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId?: string,
): { versionId: string; tags: Record<string, string> } {
  const row = versionToChange(ctx, bucket, key, versionId);
  return { versionId: row.version_id, tags: JSON.parse(row.tags) as Record<string, string> };
}

/** Replaces the tags of a version (an empty set deletes them). */
export async function putObjectTagging(
  ctx: EngineContext,
  bucket: string,
  key: string,
  tags: Record<string, string>,
  versionId?: string,
): Promise<{ versionId: string }> {
  const valid = validateTags(tags);
  await ctx.blobs.ensureSpace(0);
  return ctx.queue.run(() => {
    const row = versionToChange(ctx, bucket, key, versionId);
    ctx.sql('UPDATE versions SET tags = ? WHERE id = ?').run(JSON.stringify(valid), row.id);
    return { versionId: row.version_id };
  });
}

const TIERS: readonly RestoreTier[] = ['Expedited', 'Standard', 'Bulk'];

/**
 * RestoreObject for GLACIER and DEEP_ARCHIVE objects. Starts a restore that completes
 * after the tier's delay on the engine clock, or extends a completed one.
 */
export async function restoreObject(
  ctx: EngineContext,
  bucket: string,
  key: string,
  options: RestoreObjectOptions,
): Promise<RestoreObjectResult> {
  const tier = options.tier ?? 'Standard';
  if (!TIERS.includes(tier)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `restore tier must be one of ${TIERS.join(', ')}, got "${tier}"`,
    );
  }
  await ctx.blobs.ensureSpace(0);
  return ctx.queue.run(() => {
    const row = resolveVersion(ctx, bucket, key, options.versionId);
    const now = ctx.now();
    const existing = restoreOf(row);
    const phase = restorePhase(existing, now);
    if (phase === 'ongoing') {
      const faster = upgradeRestore(
        existing!,
        row.storage_class as StorageClass,
        options.days,
        tier,
        now,
      );
      if (faster) {
        ctx.sql('UPDATE versions SET restore = ? WHERE id = ?').run(JSON.stringify(faster), row.id);
        const info = toObjectInfo({ ...row, restore: JSON.stringify(faster) }, now);
        // Accepted (202), as a new restore is: the object is not readable yet.
        return { status: 'started' as const, restore: info.restore! };
      }
      throw new StowageError(
        'E_RESTORE_IN_PROGRESS',
        `a restore of "${key}" is already in progress`,
        {
          details: { bucket, key },
        },
      );
    }
    const record =
      phase === 'restored' && existing
        ? extendRestore(existing, options.days, now)
        : startRestore(row.storage_class as StorageClass, options.days, tier, now);
    ctx.sql('UPDATE versions SET restore = ? WHERE id = ?').run(JSON.stringify(record), row.id);
    const info = toObjectInfo({ ...row, restore: JSON.stringify(record) }, now);
    return { status: phase === 'restored' ? 'extended' : 'started', restore: info.restore! };
  });
}
