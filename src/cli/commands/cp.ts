/**
 * `stowage cp SRC DST [--recursive]`: local → store, store → local and store → store (a
 * server-side copy, or with `--source-store` a copy between two stores), with aws-cli's
 * flags. `mv` is the same command that deletes each source after its copy succeeded
 * (commands/mv.ts).
 */
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { S3Location } from '../../client/index.js';
import { compileFilters, type FilterRule } from '../../transfer/sync/filters.js';
import { listRemote, remoteItems } from '../../transfer/sync/list-remote.js';
import { planSync } from '../../transfer/sync/plan.js';
import type { ListedItem, SyncAction, SyncDirection } from '../../transfer/sync/types.js';
import { walkLocal } from '../../transfer/sync/walk-local.js';
import type { CliContext } from '../context.js';
import {
  addFilterOptions,
  addLimitOptions,
  addPropertyOptions,
  parseEnds,
  parseProperties,
  requireLocalDir,
  parseLimits,
  usage,
  type Ends,
  type PropertyFlags,
} from '../transfer-args.js';
import {
  addSourceStoreOption,
  maySharePlace,
  resolveSourceStore,
  withRunSessions,
  type SourceStoreFlags,
} from '../source-store.js';
import { rootRoute, runTransfer, type Place, type Root, type Route } from '../transfer-run.js';
import {
  baseName,
  dirPrefix,
  refuseMoveOntoItself,
  refuseOverlap,
  singleDestKey,
} from '../transfer-overlap.js';
import type { TransferSession } from '../transfer-session.js';
import {
  downloadToStdout,
  parseExpectedSize,
  refuseStdio,
  STDIO,
  uploadFromStdin,
} from '../transfer-stdio.js';

interface CopyFlags extends PropertyFlags, SourceStoreFlags {
  recursive?: boolean;
  dryrun?: boolean;
  rateLimit?: string;
  bandwidthLimit?: string;
  expectedSize?: string;
}

/** The direction of a run between two locations (one of which is a store). */
export function directionOf(ends: Ends): SyncDirection {
  if (ends.src.kind === 'local') return 'upload';
  return ends.dst.kind === 'local' ? 'download' : 'copy';
}

/** The root of a recursive run at one end. */
export function rootOf(l: Ends['src'], text: string): Root {
  return l.kind === 'local'
    ? { kind: 'local', path: l.path, text }
    : { kind: 's3', bucket: l.bucket, prefix: dirPrefix(l.key) };
}

/**
 * The listing of a root (local walk or bucket listing), keys relative to the root. A local
 * source names the root it goes to (`to`), whose prefix counts toward each key's 1,024 bytes.
 */
export function listingOf(
  s: TransferSession,
  root: Root,
  {
    allowMissingRoot = false,
    files = true,
    to,
  }: { allowMissingRoot?: boolean; files?: boolean; to?: Root } = {},
): AsyncIterable<ListedItem> {
  if (root.kind === 'local') {
    const keyPrefix = to?.kind === 's3' ? to.prefix : '';
    return walkLocal(root.path, { allowMissingRoot, files, keyPrefix });
  }
  return remoteItems(
    listRemote(s.client, { bucket: root.bucket, prefix: root.prefix }),
    root.prefix,
  );
}

async function* nothing(): AsyncGenerator<ListedItem> {}

/**
 * What of a local destination blocks a recursive download: the subtrees of the walk as
 * sync sees it (a symbolic link to a directory, a directory it cannot read …), without
 * the files, which cp overwrites as aws-cli does. planSync then skips every key under such
 * a subtree ('destination "sub/" is not usable'), so cp never writes through a link to a
 * directory, as sync never does.
 */
async function* obstacles(listing: AsyncIterable<ListedItem>): AsyncGenerator<ListedItem> {
  for await (const item of listing) if (item.kind !== 'entry' && item.subtree) yield item;
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  return fsp.stat(p).catch(() => undefined);
}

const isPrefix = (l: S3Location) => l.key === '' || l.key.endsWith('/');

/** One object or file: the destination is completed with the source's name when it is a "directory". */
async function singleJob(
  ends: Ends,
  rules: FilterRule[],
): Promise<{ route: Route; actions: AsyncIterable<SyncAction> }> {
  const { src, dst } = ends;
  let from: Place;
  let name: string;
  let size = 0;
  let mtimeMs = 0;
  if (src.kind === 'local') {
    const st = await statOrUndefined(src.path);
    if (st?.isDirectory()) throw usage(`"${ends.srcText}" is a directory; use --recursive`);
    size = st?.size ?? 0;
    mtimeMs = st?.mtimeMs ?? 0;
    name = path.basename(src.path);
    from = { kind: 'local', path: src.path, text: ends.srcText };
  } else {
    if (isPrefix(src))
      throw usage(`"${ends.srcText}" names a prefix, not an object; use --recursive`);
    name = baseName(src.key);
    from = { kind: 's3', bucket: src.bucket, key: src.key };
  }
  let to: Place;
  if (dst.kind === 's3') {
    to = { kind: 's3', bucket: dst.bucket, key: singleDestKey(dst, name) };
  } else {
    const intoDir =
      /[/\\]$/.test(ends.dstText) || (await statOrUndefined(dst.path))?.isDirectory() === true;
    const text = intoDir ? `${ends.dstText.replace(/[/\\]$/, '')}/${name}` : ends.dstText;
    to = { kind: 'local', path: intoDir ? path.join(dst.path, name) : dst.path, text };
  }
  const direction = directionOf(ends);
  const included = compileFilters(rules).includes(name);
  async function* one(): AsyncGenerator<SyncAction> {
    if (!included) {
      yield { kind: 'skip', key: name, reason: 'excluded by a filter' };
      return;
    }
    const source = {
      key: name,
      sizeBytes: size,
      mtimeMs,
      ...(from.kind === 'local' ? { path: from.path } : {}),
    };
    yield { kind: direction, key: name, source, reason: 'new' };
  }
  return { route: { source: () => from, dest: () => to }, actions: one() };
}

/** Runs cp or mv. */
async function copyAction(
  ctx: CliContext,
  verb: 'cp' | 'mv',
  srcText: string,
  dstText: string,
  o: CopyFlags,
  rules: FilterRule[],
): Promise<void> {
  refuseStdio(verb, srcText, dstText, {
    recursive: o.recursive === true,
    json: ctx.globals().json === true,
  });
  const expectedSizeBytes = parseExpectedSize(o.expectedSize, srcText);
  const ends = parseEnds(srcText, dstText, ctx.io.cwd, verb);
  const props = parseProperties(o);
  const limits = parseLimits(o);
  const sourceStore = await resolveSourceStore(ctx, o.sourceStore, ends);
  compileFilters(rules);
  if (ends.src.kind === 'local' && o.recursive) {
    await requireLocalDir(ends.src.path, srcText, ' (--recursive)');
  }
  await withRunSessions(
    ctx,
    limits,
    sourceStore,
    async ({ session, sourceSession, sourceSide }) => {
      if (verb === 'mv') {
        const recursive = o.recursive === true;
        // Another store name for the same server is the same place (source-store.ts).
        const sameStore = !sourceSession || maySharePlace(sourceSession.store, session.store);
        refuseMoveOntoItself(ends, { recursive, sameStore });
        if (recursive) refuseOverlap(ends, { what: 'mv --recursive', sameStore });
      }
      if (srcText === STDIO && ends.dst.kind === 's3') {
        await uploadFromStdin(ctx, session, ends.dst, {
          dryrun: o.dryrun === true,
          props,
          ...(expectedSizeBytes !== undefined ? { expectedSizeBytes } : {}),
        });
        return;
      }
      if (dstText === STDIO && ends.src.kind === 's3') {
        if (isPrefix(ends.src)) {
          throw usage(`"${srcText}" names a prefix, not an object; "-" takes one object`);
        }
        if (!compileFilters(rules).includes(baseName(ends.src.key))) return;
        await downloadToStdout(ctx, session, ends.src, { dryrun: o.dryrun === true });
        return;
      }
      let route: Route;
      let actions: AsyncIterable<SyncAction>;
      if (o.recursive) {
        const srcRoot = rootOf(ends.src, srcText);
        const dstRoot = rootOf(ends.dst, dstText);
        route = rootRoute(srcRoot, dstRoot);
        // cp copies everything the filters let through, as aws-cli does: no comparison.
        const direction = directionOf(ends);
        actions = planSync({
          source: listingOf(sourceSide, srcRoot, { to: dstRoot }),
          dest:
            direction === 'download'
              ? obstacles(listingOf(session, dstRoot, { allowMissingRoot: true, files: false }))
              : nothing(),
          direction,
          filters: rules,
        });
      } else {
        ({ route, actions } = await singleJob(ends, rules));
      }
      await runTransfer(ctx, session, {
        verb,
        actions,
        route,
        props,
        dryrun: o.dryrun === true,
        single: !o.recursive,
        sourceSession,
      });
    },
  );
}

/** Registers `cp` or `mv` (the same flags; mv deletes each source after its copy). */
export function registerCopyLike(program: Command, ctx: CliContext, verb: 'cp' | 'mv'): void {
  const cmd = program
    .command(verb)
    .description(
      verb === 'cp'
        ? 'copy files and objects: local ↔ store, store → store'
        : 'move files and objects: copy, then delete each source that was copied',
    )
    .argument('<source>', 'local path or s3://bucket/key')
    .argument('<destination>', 'local path or s3://bucket/key (a trailing / means "into")')
    .option('--recursive', 'every file under a directory, or every object under a prefix')
    .option('--dryrun', 'print what would be done, do nothing');
  // Only cp reads standard input (mv refuses `-`), so only cp takes its size.
  if (verb === 'cp') {
    cmd.option(
      '--expected-size <bytes>',
      'cp - s3://…: the size of standard input, so that parts are large enough for it',
    );
  }
  addPropertyOptions(cmd);
  addLimitOptions(cmd);
  addSourceStoreOption(cmd);
  const filters = addFilterOptions(cmd);
  cmd.action((src: string, dst: string, o: CopyFlags) =>
    copyAction(ctx, verb, src, dst, o, filters()),
  );
}

/**
 * Registers `stowage cp`.
 *
 * @example
 * registerCpCommand(program, ctx); // stowage cp ./renders s3://assets/renders/ --recursive --exclude '*.tmp'
 */
export function registerCpCommand(program: Command, ctx: CliContext): void {
  registerCopyLike(program, ctx, 'cp');
}
