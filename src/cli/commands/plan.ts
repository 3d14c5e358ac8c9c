/**
 * `stowage plan`: what `stowage apply` would change, per bucket and sub-resource. Exit 0 when
 * the stores match the file, 2 when there is drift (like `terraform plan -detailed-exitcode`),
 * 1 when something could not be planned. Usage errors also exit 2, as in terraform.
 */
import type { Command } from 'commander';
import { desiredState } from '../../bucketconfig/normalize.js';
import { planBuckets, type Plan, type SubResourceChange } from '../../bucketconfig/plan.js';
import { validateBuckets, formatIssue } from '../../bucketconfig/validate.js';
import type { DesiredBucket } from '../../bucketconfig/canonical.js';
import { createS3Client, resolveStore } from '../../client/index.js';
import type { StoreSession } from '../../client/ops/index.js';
import { EXIT, StowageError } from '../../errors.js';
import { homeDirOf, type CliContext } from '../context.js';
import { storeFor, storeGlobals } from '../store.js';

/** The validated desired state of the run's config; validation errors are a usage error. */
export async function desiredForRun(ctx: CliContext): Promise<DesiredBucket[]> {
  const config = await ctx.config();
  const { errors } = validateBuckets(config);
  if (errors.length > 0) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `buckets: ${errors.length} error(s), run stowage validate; first: ${formatIssue('error', errors[0]!)}`,
      { details: { errors: errors.length } },
    );
  }
  return desiredState(config);
}

/**
 * Sessions per bucket: the run's store, or the bucket's declared `store:` (resolved once,
 * closed by `release`).
 */
export function bucketSessions(ctx: CliContext): {
  sessionFor: (bucket: DesiredBucket) => Promise<StoreSession>;
  release: () => void;
} {
  const named = new Map<string, Promise<StoreSession>>();
  const sessionFor = async (bucket: DesiredBucket): Promise<StoreSession> => {
    if (bucket.store === undefined) return (await storeFor(ctx)).session;
    // A bucket with a store of its own needs no run store: one that cannot be resolved
    // (no --store, no defaultStore) matters only to buckets without one.
    const run = await storeFor(ctx).catch(() => undefined);
    if (run?.store.name === bucket.store) return run.session;
    let pending = named.get(bucket.store);
    if (!pending) {
      const g = storeGlobals(ctx);
      const env = ctx.io.env;
      pending = (async () => {
        const store = await resolveStore({
          config: await ctx.config(),
          env,
          homeDir: homeDirOf(env),
          flags: { store: bucket.store, profile: g.profile },
        });
        return { s3: createS3Client(store), store };
      })();
      named.set(bucket.store, pending);
    }
    return pending;
  };
  const release = (): void => {
    for (const pending of named.values()) {
      pending.then((s) => s.s3.destroy()).catch(() => undefined);
    }
  };
  return { sessionFor, release };
}

const SIGN: Record<SubResourceChange['action'], string> = {
  create: '+',
  update: '~',
  remove: '-',
  unchanged: '=',
  error: '!',
};

/** The human text of a plan: one block per bucket, one line per changed sub-resource. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const b of plan.buckets) {
    const where = b.store ? ` (store ${b.store})` : '';
    if (b.error) {
      lines.push(`bucket ${b.bucket}${where}: error: ${b.error.message}`);
      continue;
    }
    const changed = b.changes.filter((c) => c.action !== 'unchanged');
    const head = b.createBucket
      ? `+ bucket ${b.bucket}${where}: create${b.region ? ` in ${b.region}` : ''}`
      : `bucket ${b.bucket}${where}: ${changed.length ? `${changed.length} change(s)` : 'in sync'}`;
    lines.push(head);
    for (const c of changed) lines.push(...formatChange(c));
  }
  const counts = { create: 0, update: 0, remove: 0 };
  for (const b of plan.buckets) {
    for (const c of b.changes) if (c.action in counts) counts[c.action as keyof typeof counts]++;
  }
  const created = plan.buckets.filter((b) => b.createBucket).length;
  lines.push(
    plan.drift || plan.errors
      ? `plan: ${created} bucket(s) to create; sub-resources: ${counts.create} to create, ${counts.update} to update, ${counts.remove} to remove; ${plan.errors} error(s)`
      : 'plan: no changes, the buckets match the file',
  );
  return `${lines.join('\n')}\n`;
}

function formatChange(c: SubResourceChange): string[] {
  const sign = SIGN[c.action];
  switch (c.action) {
    case 'create':
      return [`  ${sign} ${c.subResource}: create`];
    case 'update':
      return [`  ${sign} ${c.subResource}: update`, ...(c.diff ?? []).map((l) => `      ${l}`)];
    case 'remove':
      return [
        `  ${sign} ${c.subResource}: remove${c.prune ? '' : ' (not declared; apply removes it only with --prune)'}`,
      ];
    case 'error':
      return [`  ${sign} ${c.subResource}: error: ${c.error?.message ?? 'unknown error'}`];
    default:
      return [];
  }
}

/**
 * Registers `stowage plan`.
 *
 * @example
 * registerPlanCommand(program, ctx); // stowage plan --bucket ziggie-cloud-assets --json
 */
export function registerPlanCommand(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description(
      'show what apply would change in the declared buckets (exit 0 in sync, 2 drift, 1 error)',
    )
    .option('--bucket <name>', 'plan only this declared bucket')
    .action(async (opts: { bucket?: string }) => {
      const desired = await desiredForRun(ctx);
      const { sessionFor, release } = bucketSessions(ctx);
      try {
        const plan = await planBuckets(sessionFor, desired, { bucket: opts.bucket });
        ctx.exitCode = plan.errors > 0 ? EXIT.internal : plan.drift ? EXIT.usage : EXIT.ok;
        ctx.output().result(plan, formatPlan);
      } finally {
        release();
      }
    });
}
