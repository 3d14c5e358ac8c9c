/**
 * Sync planning: a merge of two listings sorted in S3 key order into a stream of actions,
 * with memory bounded by the listings' pages and the delete spool, never by the number
 * of keys. See docs/sync.md for the decision rules.
 */
import { decideChange, type CompareOptions } from './compare.js';
import { DeleteSpool } from './delete-spool.js';
import { compileFilters, type FilterRule, type KeyFilter } from './filters.js';
import { compareKeys } from './key-order.js';
import { localKeyProblem } from './local-keys.js';
import { keyOf, OrderedSide } from './ordered.js';
import type { ListedItem, SyncAction, SyncDirection, SyncEntry } from './types.js';
import { StowageError } from '../../errors.js';

/** Options for {@link planSync}. */
/** What to plan; how a key on both sides is compared is CompareOptions' (compare.ts). */
export interface PlanSyncOptions extends CompareOptions {
  /** The source listing, in S3 key order, keys relative to the source root. */
  source: AsyncIterable<ListedItem>;
  /** The destination listing, in S3 key order, keys relative to the destination root. */
  dest: AsyncIterable<ListedItem>;
  /** `--exclude`/`--include` rules in command-line order, or a compiled filter. */
  filters?: readonly FilterRule[] | KeyFilter;
  /** Delete destination keys the source does not have (`--delete`). */
  delete?: boolean;
  /** With `delete`: when more deletions than this are due, plan none (`--max-delete`). */
  maxDelete?: number;
  /** Deletion candidates kept in memory before spilling to a temp file. Default 5,000. */
  deleteMemoryLimit?: number;
  /** Directory for the spill file. Default: the OS temp directory. */
  tempDir?: string;
}

type Side = { item: ListedItem; hidden: boolean } | undefined;

/** A subtree one side cannot see into; the other side's keys under it are left alone. */
interface Shadow {
  prefix: string;
  item: Exclude<ListedItem, { kind: 'entry' }>;
}

const under = (shadow: Shadow | undefined, key: string): Shadow | undefined =>
  shadow && key.startsWith(shadow.prefix) ? shadow : undefined;

function reportItem(
  item: Exclude<ListedItem, { kind: 'entry' }>,
  side: 'source' | 'dest',
): SyncAction {
  return item.kind === 'problem'
    ? { kind: 'error', key: item.key, side, error: item.error }
    : {
        kind: 'skip',
        key: item.key,
        reason: side === 'source' ? item.reason : `destination: ${item.reason}`,
      };
}

/** What happens to a destination key under a shadow of the source (or vice versa). */
function shadowed(
  key: string,
  shadow: Shadow,
  side: 'source' | 'dest',
  entry: SyncEntry,
): SyncAction {
  const what = shadow.item.kind === 'problem' ? shadow.item.error.message : shadow.item.reason;
  const reason = `${side === 'dest' ? 'destination' : 'source'} ${JSON.stringify(shadow.prefix)} is not usable (${what})`;
  if (side === 'dest' && shadow.item.kind === 'problem') {
    return { kind: 'error', key, side, error: shadow.item.error };
  }
  return side === 'dest'
    ? { kind: 'skip', key, reason, source: entry }
    : { kind: 'skip', key, reason, dest: entry };
}

/**
 * A folder marker (an empty object whose key ends in '/', as the S3 console makes for a
 * folder) at an upload's destination. A local tree has no file for it, so it is never
 * "missing from the source"; --delete keeps it, as aws-cli and rclone do.
 */
function keptMarker(entry: SyncEntry, direction: SyncDirection): boolean {
  return direction === 'upload' && entry.key.endsWith('/') && entry.sizeBytes === 0;
}

/**
 * Plans a sync: yields transfers and skips in key order, then the deletions (or one
 * `delete-blocked` action when they exceed `maxDelete`).
 *
 * @example
 * const actions = planSync({
 *   source: walkLocal('./site'),
 *   dest: remoteItems(listRemote(client, { bucket: 'www' })),
 *   direction: 'upload',
 *   filters: [{ type: 'exclude', pattern: '.git/*' }],
 *   delete: true,
 *   maxDelete: 100,
 * });
 * const result = await runPlan(actions, handlers, { concurrency: 16 });
 */
export async function* planSync(options: PlanSyncOptions): AsyncGenerator<SyncAction> {
  if (
    options.maxDelete !== undefined &&
    (!Number.isInteger(options.maxDelete) || options.maxDelete < 0)
  ) {
    throw new StowageError(
      'E_USAGE',
      `--max-delete must be a whole number of 0 or more, got ${options.maxDelete}`,
    );
  }
  const filter = toFilter(options.filters);
  const src = new OrderedSide('source', options.source, filter);
  const dst = new OrderedSide('destination', options.dest, filter);
  const spool = new DeleteSpool({
    memoryLimit: options.deleteMemoryLimit,
    tempDir: options.tempDir,
  });
  let srcShadow: Shadow | undefined;
  let dstShadow: Shadow | undefined;
  try {
    let s: Side = await src.next();
    let d: Side = await dst.next();
    while (s || d) {
      const order = s && d ? compareKeys(keyOf(s.item), keyOf(d.item)) : s ? -1 : 1;
      if (order < 0 && s) {
        if (s.item.kind !== 'entry') {
          if (s.item.subtree) srcShadow = { prefix: s.item.key, item: s.item };
          if (!s.hidden) yield reportItem(s.item, 'source');
        } else {
          const shadow = under(dstShadow, s.item.entry.key);
          yield shadow
            ? shadowed(s.item.entry.key, shadow, 'dest', s.item.entry)
            : newEntry(s.item.entry, options.direction);
        }
        s = await src.next();
      } else if (order > 0 && d) {
        if (d.item.kind !== 'entry') {
          if (d.item.subtree) dstShadow = { prefix: d.item.key, item: d.item };
          if (options.delete && !d.hidden) yield reportItem(d.item, 'dest');
        } else {
          const shadow = under(srcShadow, d.item.entry.key);
          if (shadow) yield shadowed(d.item.entry.key, shadow, 'source', d.item.entry);
          else if (options.delete && !keptMarker(d.item.entry, options.direction)) {
            await spool.add(d.item.entry);
          }
        }
        d = await dst.next();
      } else if (s && d) {
        yield await both(
          s,
          d,
          options,
          (sh) => (srcShadow = sh),
          (sh) => (dstShadow = sh),
        );
        s = await src.next();
        d = await dst.next();
      }
    }
    await src.close();
    await dst.close();
    if (!options.delete || spool.count === 0) return;
    if (options.maxDelete !== undefined && spool.count > options.maxDelete) {
      yield { kind: 'delete-blocked', wouldDelete: spool.count, maxDelete: options.maxDelete };
      return;
    }
    for await (const entry of spool.drain()) yield { kind: 'delete', key: entry.key, dest: entry };
  } finally {
    await spool.close();
    await Promise.allSettled([src.close(), dst.close()]);
  }
}

const isKeyFilter = (f: readonly FilterRule[] | KeyFilter): f is KeyFilter =>
  !Array.isArray(f) && 'includes' in f;

function toFilter(filters: PlanSyncOptions['filters']): KeyFilter {
  if (filters === undefined) return compileFilters([]);
  return isKeyFilter(filters) ? filters : compileFilters(filters);
}

/** A source entry with no destination counterpart. */
function newEntry(entry: SyncEntry, direction: SyncDirection): SyncAction {
  if (direction === 'download') {
    const problem = localKeyProblem(entry.key);
    if (problem && 'skip' in problem)
      return { kind: 'skip', key: entry.key, reason: problem.skip, source: entry };
    if (problem) return { kind: 'error', key: entry.key, side: 'source', error: problem.error };
  }
  return { kind: direction, key: entry.key, source: entry, reason: 'new' };
}

/** The same key on both sides. */
async function both(
  s: NonNullable<Side>,
  d: NonNullable<Side>,
  options: PlanSyncOptions,
  setSrcShadow: (s: Shadow) => void,
  setDstShadow: (s: Shadow) => void,
): Promise<SyncAction> {
  if (s.item.kind !== 'entry') {
    if (s.item.subtree) setSrcShadow({ prefix: s.item.key, item: s.item });
    if (d.item.kind !== 'entry' && d.item.subtree)
      setDstShadow({ prefix: d.item.key, item: d.item });
    return s.hidden
      ? { kind: 'skip', key: s.item.key, reason: 'excluded' }
      : reportItem(s.item, 'source');
  }
  const source = s.item.entry;
  if (d.item.kind !== 'entry') {
    if (d.item.subtree) setDstShadow({ prefix: d.item.key, item: d.item });
    return reportItem(d.item, 'dest');
  }
  const dest = d.item.entry;
  if (options.direction === 'download') {
    const problem = localKeyProblem(source.key);
    if (problem && 'skip' in problem)
      return { kind: 'skip', key: source.key, reason: problem.skip, source, dest };
    if (problem) return { kind: 'error', key: source.key, side: 'source', error: problem.error };
  }
  try {
    const decision = await decideChange(source, dest, options);
    return decision.transfer
      ? { kind: options.direction, key: source.key, source, dest, reason: decision.reason }
      : { kind: 'skip', key: source.key, reason: decision.reason, source, dest };
  } catch (err) {
    const error =
      err instanceof StowageError
        ? err
        : new StowageError('E_INTERNAL', String(err), { cause: err });
    return { kind: 'error', key: source.key, side: 'source', error };
  }
}
