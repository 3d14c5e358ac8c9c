/**
 * `--source-store NAME` of cp, mv and sync, after aws-cli's `--source-region`: when both
 * ends are s3:// URLs, the source bucket is read through the named stowage.yaml store and
 * the destination through the run's store (`--store`, `--endpoint-url`, env …). Objects
 * then travel through this machine (copyAcrossStores), since one store cannot CopyObject
 * from another. When both names resolve to the same store, the server-side copy is kept.
 */
import type { Command } from 'commander';
import { createS3Client, resolveStore, type ResolvedStore } from '../client/index.js';
import { StowageError } from '../errors.js';
import { homeDirOf, type CliContext } from './context.js';
import { storeGlobals } from './store.js';
import type { Ends } from './transfer-args.js';
import {
  openTransferSession,
  type SessionLimits,
  type TransferSession,
} from './transfer-session.js';

/** The raw value of {@link addSourceStoreOption}. */
export interface SourceStoreFlags {
  sourceStore?: string;
}

/** Adds `--source-store <name>`. */
export function addSourceStoreOption(cmd: Command): Command {
  return cmd.option(
    '--source-store <name>',
    'store → store: read the source bucket through this stowage.yaml store (the destination uses the run’s store)',
  );
}

const usage = (message: string, details: Record<string, unknown>) =>
  new StowageError('E_USAGE', message, { details });

/**
 * Checks `--source-store` against the two ends and stowage.yaml, then resolves the store.
 * Call it before opening the run's session, so bad input fails before any request.
 *
 * @throws StowageError `E_USAGE` for a local source or destination, or an undeclared store.
 * @example
 * const source = await resolveSourceStore(ctx, o.sourceStore, ends); // undefined without the flag
 */
export async function resolveSourceStore(
  ctx: CliContext,
  name: string | undefined,
  ends: Ends,
): Promise<ResolvedStore | undefined> {
  if (name === undefined) return undefined;
  if (ends.src.kind === 'local') {
    throw usage(
      `--source-store applies only to an s3:// source; "${ends.srcText}" is a local path`,
      { sourceStore: name, source: ends.srcText },
    );
  }
  if (ends.dst.kind === 'local') {
    throw usage(
      `--source-store applies only to a copy between two s3:// URLs; to download "${ends.srcText}" from store "${name}", use --store ${name}`,
      { sourceStore: name, destination: ends.dstText },
    );
  }
  const config = await ctx.config();
  const declared = Object.keys(config.stores ?? {});
  if (!declared.includes(name)) {
    throw usage(
      `--source-store: no store named "${name}" in stowage.yaml (${declared.length ? `stores: ${declared.join(', ')}` : 'it declares no stores'})`,
      { sourceStore: name, stores: declared },
    );
  }
  const env = ctx.io.env;
  return resolveStore({
    config,
    env,
    homeDir: homeDirOf(env),
    cwd: ctx.io.cwd,
    // --ca-bundle applies to both ends, as aws-cli's does.
    flags: { store: name, caBundle: storeGlobals(ctx).caBundle },
  });
}

const endpointOf = (s: ResolvedStore) => (s.endpoint ?? '').replace(/\/+$/, '').toLowerCase();
const identityOf = (s: ResolvedStore) =>
  s.credentials.kind === 'static'
    ? `key:${s.credentials.accessKeyId}`
    : `profile:${s.credentials.profile}`;

/**
 * True when two resolved stores are one store seen with the same identity: then a
 * server-side CopyObject works and no bytes need to pass through this machine.
 */
export function sameStore(a: ResolvedStore, b: ResolvedStore): boolean {
  return endpointOf(a) === endpointOf(b) && identityOf(a) === identityOf(b);
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[?::1\]?|0\.0\.0\.0)$/i;

/** An endpoint as a place: scheme, host (any loopback name as one) and port; '' for AWS. */
function placeOf(s: ResolvedStore): string {
  if (!s.endpoint) return '';
  try {
    const url = new URL(s.endpoint);
    const host = LOOPBACK.test(url.hostname) ? 'loopback' : url.hostname.toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return `${url.protocol}//${host}:${port}`;
  } catch {
    return endpointOf(s);
  }
}

/**
 * True when two stores may be one server, whatever the identities and however the endpoint
 * is spelled (`localhost` and `127.0.0.1`, a default port written out, AWS with no
 * endpoint): then the same bucket and key are the same object, and a run that would move
 * an object onto itself or delete its own source must be refused.
 */
export function maySharePlace(a: ResolvedStore, b: ResolvedStore): boolean {
  return placeOf(a) === placeOf(b);
}

/**
 * The source side of a cross-store run: its own client, sharing the run's pacer and
 * limits. Undefined when there is no source store or it is the run's store.
 *
 * @example
 * const from = openSourceSession(await resolveSourceStore(ctx, o.sourceStore, ends), session);
 * try { … } finally { from?.close(); }
 */
export function openSourceSession(
  store: ResolvedStore | undefined,
  dest: TransferSession,
): TransferSession | undefined {
  if (store === undefined || sameStore(store, dest.store)) return undefined;
  const client = createS3Client(store, { maxAttempts: 2, bodiesCarryMd5: true });
  return { ...dest, store, client, close: () => client.destroy() };
}

/** The sessions of one cp, mv or sync run. */
export interface RunSessions {
  /** The run's store: the destination, and the source unless `sourceSession` is set. */
  session: TransferSession;
  /** `--source-store` naming another store: the source's own session. */
  sourceSession?: TransferSession;
  /** Where the source is listed and read: `sourceSession ?? session`. */
  sourceSide: TransferSession;
}

/**
 * Opens the run's session (and the source store's, see {@link openSourceSession}), runs
 * `work` with them and closes both, whatever `work` does.
 *
 * @example
 * await withRunSessions(ctx, parseLimits(o), sourceStore, ({ session, sourceSide }) => …);
 */
export async function withRunSessions<T>(
  ctx: CliContext,
  limits: SessionLimits,
  sourceStore: ResolvedStore | undefined,
  work: (s: RunSessions) => Promise<T>,
): Promise<T> {
  const session = await openTransferSession(ctx, limits);
  const sourceSession = openSourceSession(sourceStore, session);
  try {
    return await work({ session, sourceSession, sourceSide: sourceSession ?? session });
  } finally {
    sourceSession?.close();
    session.close();
  }
}
