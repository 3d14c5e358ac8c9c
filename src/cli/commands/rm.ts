/**
 * `stowage rm s3://bucket/key` and `rm s3://bucket/prefix --recursive`: deletes objects, in
 * DeleteObjects batches of 1,000; each key that could not be deleted is reported with the
 * store's reason and the rest go on (exit 1 at the end).
 */
import type { Command } from 'commander';
import { formatS3Url } from '../../client/index.js';
import { StowageError, toStowageError } from '../../errors.js';
import { deleteObject, deleteObjects } from '../../transfer/delete.js';
import { compileFilters, type FilterRule } from '../../transfer/sync/filters.js';
import { listRemote } from '../../transfer/sync/list-remote.js';
import { emptySummary } from '../../transfer/sync/run-plan.js';
import type { CliContext } from '../context.js';
import { escapeControls } from '../printable.js';
import { formatSummary } from '../progress.js';
import { s3Arg } from '../store-format.js';
import { storeGlobals } from '../store.js';
import { addFilterOptions, addLimitOptions, parseLimits } from '../transfer-args.js';
import { placeText } from '../transfer-run.js';
import { openTransferSession } from '../transfer-session.js';
import { dirPrefix } from '../transfer-overlap.js';

interface RmFlags {
  recursive?: boolean;
  dryrun?: boolean;
  rateLimit?: string;
  bandwidthLimit?: string;
}

const FAILURES_KEPT = 1000;

async function rmAction(
  ctx: CliContext,
  url: string,
  o: RmFlags,
  rules: FilterRule[],
): Promise<void> {
  const where = s3Arg(url);
  const filter = compileFilters(rules);
  const limits = parseLimits(o);
  if (!o.recursive && (where.key === '' || where.key.endsWith('/'))) {
    throw new StowageError('E_USAGE', `"${url}" names a prefix, not an object; use --recursive`);
  }
  const g = storeGlobals(ctx);
  const out = ctx.output();
  const quiet = g.quiet === true;
  const dry = o.dryrun ? '(dryrun) ' : '';
  const started = Date.now();
  const summary = emptySummary(o.dryrun === true);
  const failures: { target: string; error: StowageError }[] = [];
  const show = (key: string) => placeText({ kind: 's3', bucket: where.bucket, key });
  const report = (key: string, error?: StowageError) => {
    const target = show(key);
    if (!error) {
      summary.deleted += 1;
      if (out.json)
        out.line(
          { type: 'delete', ok: true, target, ...(o.dryrun ? { dryrun: true } : {}) },
          () => '',
        );
      else if (!quiet) ctx.io.stdout.write(`${dry}delete: ${target}\n`);
      return;
    }
    summary.failed += 1;
    if (failures.length < FAILURES_KEPT) failures.push({ target, error });
    if (out.json) {
      out.line(
        { type: 'delete', ok: false, target, error: { code: error.code, message: error.message } },
        () => '',
      );
    } else {
      ctx.io.stderr.write(
        `delete failed: ${target}: ${escapeControls(error.message)} (${error.code})\n`,
      );
    }
  };

  const session = await openTransferSession(ctx, limits);
  try {
    if (!o.recursive) {
      if (!filter.includes(where.key.slice(where.key.lastIndexOf('/') + 1))) summary.skipped += 1;
      else if (o.dryrun) report(where.key);
      else {
        await deleteObject(session, where.bucket, where.key).then(
          () => report(where.key),
          (err: unknown) => report(where.key, toStowageError(err)),
        );
      }
    } else {
      const prefix = dirPrefix(where.key);
      const keys = async function* (): AsyncGenerator<string> {
        for await (const obj of listRemote(session.client, { bucket: where.bucket, prefix })) {
          if (filter.includes(obj.key.slice(prefix.length))) yield obj.key;
          else summary.skipped += 1;
        }
      };
      if (o.dryrun) for await (const key of keys()) report(key);
      else {
        for await (const r of deleteObjects(session, where.bucket, keys())) {
          report(r.key, r.ok ? undefined : r.error);
        }
      }
    }
  } finally {
    session.close();
  }
  summary.durationMs = Date.now() - started;
  if (failures.length > 0 && !out.json) {
    ctx.io.stderr.write(`${summary.failed} item(s) failed:\n`);
    for (const f of failures)
      ctx.io.stderr.write(`  ${f.target}: ${escapeControls(f.error.message)} (${f.error.code})\n`);
  }
  if (out.json) out.line({ summary }, () => '');
  else if (!quiet) ctx.io.stderr.write(`${formatSummary(summary)}\n`);
  // One object (no --recursive) is a command of its own: its error's exit code, as for cp.
  const single = !o.recursive && failures.length === 1 ? failures[0]!.error : undefined;
  if (summary.failed > 0) ctx.exitCode = single ? single.exitCode || 1 : 1;
}

/**
 * Registers `stowage rm`.
 *
 * @example
 * registerRmCommand(program, ctx); // stowage rm s3://assets/tmp/ --recursive --dryrun
 */
export function registerRmCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('rm')
    .description('delete an object, or every object under a prefix with --recursive')
    .argument(
      '<url>',
      `s3://bucket/key (with --recursive: ${formatS3Url({ bucket: 'bucket', key: 'prefix/' })})`,
    )
    .option('--recursive', 'every object under the prefix (a "directory": dir means dir/)')
    .option('--dryrun', 'print what would be deleted, delete nothing');
  addLimitOptions(cmd);
  const filters = addFilterOptions(cmd);
  cmd.action((url: string, o: RmFlags) => rmAction(ctx, url, o, filters()));
}
