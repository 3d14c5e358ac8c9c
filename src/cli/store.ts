/**
 * The store a command talks to: resolved once per run from the global store flags
 * (`--store`, `--endpoint-url`, `--profile`, `--region`), the run's env, stowage.yaml and
 * ~/.aws, with one S3Client whose sockets {@link releaseStores} closes when the run ends.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, resolveStore, type ResolvedStore } from '../client/index.js';
import type { StoreSession } from '../client/ops/index.js';
import { homeDirOf, type CliContext, type GlobalOptions } from './context.js';

/** The global flags of store commands (declared in main.ts next to the others). */
export interface StoreGlobalOptions extends GlobalOptions {
  store?: string;
  endpointUrl?: string;
  profile?: string;
  region?: string;
  caBundle?: string;
  /** False with `--no-progress`. */
  progress?: boolean;
}

/** One run's store: what was resolved, its client, and the session the ops take. */
export interface CliStore {
  store: ResolvedStore;
  client: S3Client;
  session: StoreSession;
}

const opened = new WeakMap<CliContext, Promise<CliStore>>();

/** The global flags, typed with the store flags. */
export function storeGlobals(ctx: CliContext): StoreGlobalOptions {
  return ctx.globals() as StoreGlobalOptions;
}

/**
 * Resolves the run's store and creates its client, once per run.
 *
 * @example
 * const { session } = await storeFor(ctx);
 * for await (const entry of listObjects(session, { bucket: 'assets' })) print(entry);
 */
export function storeFor(ctx: CliContext): Promise<CliStore> {
  let pending = opened.get(ctx);
  if (!pending) {
    pending = (async () => {
      const g = storeGlobals(ctx);
      const env = ctx.io.env;
      const store = await resolveStore({
        config: await ctx.config(),
        env,
        homeDir: homeDirOf(env),
        cwd: ctx.io.cwd,
        flags: {
          store: g.store,
          endpointUrl: g.endpointUrl,
          profile: g.profile,
          region: g.region,
          caBundle: g.caBundle,
        },
      });
      const client = createS3Client(store);
      return { store, client, session: { s3: client, store } };
    })();
    opened.set(ctx, pending);
    ctx.atExit(() => releaseStores(ctx));
  }
  return pending;
}

/** Closes the keep-alive sockets of the run's client, if one was made. Never throws. */
export async function releaseStores(ctx: CliContext): Promise<void> {
  const pending = opened.get(ctx);
  if (!pending) return;
  opened.delete(ctx);
  try {
    (await pending).client.destroy();
  } catch {
    // Resolution failed: there is no client to close, and the error was reported already.
  }
}
