/**
 * `stowage sync SRC DST`: makes the destination look like the source (local → store, store
 * → local, store → store), transferring only what changed; see docs/sync.md for the rules.
 */
import type { Command } from 'commander';
import { StowageError } from '../../errors.js';
import { storedMtime, storedSha256 } from '../../transfer/delete.js';
import { localSha256, type ChecksumSides } from '../../transfer/sync/compare.js';
import { compileFilters } from '../../transfer/sync/filters.js';
import { planSync } from '../../transfer/sync/plan.js';
import type { SyncEntry } from '../../transfer/sync/types.js';
import type { CliContext } from '../context.js';
import { intFlag } from '../store-format.js';
import {
  addFilterOptions,
  addLimitOptions,
  addPropertyOptions,
  parseEnds,
  parseProperties,
  requireLocalDir,
  parseLimits,
  type PropertyFlags,
} from '../transfer-args.js';
import {
  addSourceStoreOption,
  maySharePlace,
  resolveSourceStore,
  withRunSessions,
  type SourceStoreFlags,
} from '../source-store.js';
import { rootRoute, runTransfer, type Root } from '../transfer-run.js';
import type { TransferSession } from '../transfer-session.js';
import { refuseOverlap } from '../transfer-overlap.js';
import { refuseStdio } from '../transfer-stdio.js';
import { directionOf, listingOf, rootOf } from './cp.js';

interface SyncFlags extends PropertyFlags, SourceStoreFlags {
  delete?: boolean;
  dryrun?: boolean;
  sizeOnly?: boolean;
  checksum?: boolean;
  exactTimestamps?: boolean;
  maxDelete?: string;
  rateLimit?: string;
  bandwidthLimit?: string;
}

/** SHA-256 of an entry at a root: hashed locally, or `stowage-sha256` from a HEAD. */
function hasher(s: TransferSession, root: Root): (e: SyncEntry) => Promise<string | undefined> {
  if (root.kind === 'local') return localSha256;
  return (e) => storedSha256(s, root.bucket, root.prefix + e.key);
}

async function syncAction(
  ctx: CliContext,
  srcText: string,
  dstText: string,
  o: SyncFlags,
  rules: ReturnType<ReturnType<typeof addFilterOptions>>,
): Promise<void> {
  refuseStdio('sync', srcText, dstText, { recursive: true, json: false });
  const ends = parseEnds(srcText, dstText, ctx.io.cwd, 'sync');
  const props = parseProperties(o);
  const limits = parseLimits(o);
  const maxDelete =
    o.maxDelete === undefined
      ? undefined
      : intFlag('--max-delete', o.maxDelete, 0, Number.MAX_SAFE_INTEGER);
  if (o.sizeOnly && o.checksum) {
    throw new StowageError('E_USAGE', '--size-only and --checksum cannot be used together');
  }
  const sourceStore = await resolveSourceStore(ctx, o.sourceStore, ends);
  compileFilters(rules);
  if (ends.src.kind === 'local') await requireLocalDir(ends.src.path, srcText);
  await withRunSessions(
    ctx,
    limits,
    sourceStore,
    async ({ session, sourceSession, sourceSide }) => {
      const sameStore = !sourceSession || maySharePlace(sourceSession.store, session.store);
      if (o.delete) refuseOverlap(ends, { what: 'sync --delete', sameStore });
      const srcRoot = rootOf(ends.src, srcText);
      const dstRoot = rootOf(ends.dst, dstText);
      const checksum: ChecksumSides | undefined = o.checksum
        ? { source: hasher(sourceSide, srcRoot), dest: hasher(session, dstRoot) }
        : undefined;
      const actions = planSync({
        source: listingOf(sourceSide, srcRoot, { to: dstRoot }),
        dest: listingOf(session, dstRoot, { allowMissingRoot: true }),
        direction: directionOf(ends),
        filters: rules,
        delete: o.delete === true,
        maxDelete,
        sizeOnly: o.sizeOnly,
        exactTimestamps: o.exactTimestamps,
        checksum,
        storedMtime:
          dstRoot.kind === 's3'
            ? (e: SyncEntry) => storedMtime(session, dstRoot.bucket, dstRoot.prefix + e.key)
            : undefined,
      });
      await runTransfer(ctx, session, {
        verb: 'sync',
        actions,
        route: rootRoute(srcRoot, dstRoot),
        props,
        dryrun: o.dryrun === true,
        sourceSession,
      });
    },
  );
}

/**
 * Registers `stowage sync`.
 *
 * @example
 * registerSyncCommand(program, ctx); // stowage sync ./site s3://www/ --delete --max-delete 50
 */
export function registerSyncCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('sync')
    .description('make DST like SRC: transfer new and changed files (local ↔ store, store → store)')
    .argument('<source>', 'local directory or s3://bucket[/prefix]')
    .argument('<destination>', 'local directory or s3://bucket[/prefix]')
    .option('--delete', 'delete destination files the source does not have (never excluded ones)')
    .option(
      '--max-delete <n>',
      'with --delete: when more than N would be deleted, delete none and fail',
    )
    .option('--dryrun', 'print what would be done, do nothing')
    .option('--size-only', 'a file changed only when its size did')
    .option(
      '--checksum',
      'same-size files: compare SHA-256 (stowage-sha256 metadata) instead of times',
    )
    .option(
      '--exact-timestamps',
      'downloads: same-size files whose times differ at all are copied',
    );
  addPropertyOptions(cmd);
  addLimitOptions(cmd);
  addSourceStoreOption(cmd);
  const filters = addFilterOptions(cmd);
  cmd.action((src: string, dst: string, o: SyncFlags) => syncAction(ctx, src, dst, o, filters()));
}
