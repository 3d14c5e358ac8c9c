/**
 * Runs a plan of cp / mv / sync: the handlers that call uploadFile, downloadFile,
 * copyObject and the deletes; one output line per item (aws-cli's `upload: a to s3://b/a`,
 * or one JSON object with `--json`); the progress display; the failures and the summary at
 * the end; the exit code (0 ok, 1 some items failed, the run error's code otherwise).
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { isStowageError, StowageError, toStowageError } from '../errors.js';
import {
  copyAcrossStores,
  copyObject,
  downloadFile,
  uploadFile,
  type MetadataDirective,
  type ObjectProperties,
  type ProgressEvent,
} from '../transfer/index.js';
import { deleteObject, deleteObjects } from '../transfer/delete.js';
import { makeWayForFile } from '../transfer/local-file.js';
import type { ItemResult, SyncHandlers } from '../transfer/sync/run-plan.js';
import { runPlan } from '../transfer/sync/run-plan.js';
import type { SyncAction } from '../transfer/sync/types.js';
import type { CliContext } from './context.js';
import { formatSummary, progressMode, ProgressReporter } from './progress.js';
import { storeGlobals } from './store.js';
import type { TransferSession } from './transfer-session.js';
import { escapeControls, printable } from './printable.js';

/** One end of an item: a local file or an object. */
export type Place =
  { kind: 'local'; path: string; text: string } | { kind: 's3'; bucket: string; key: string };

/** Where the item with a (relative) key comes from and goes to. */
export interface Route {
  source(key: string): Place;
  dest(key: string): Place;
}

/** The root of a recursive run: a local directory or a bucket prefix ('' or ending in '/'). */
export type Root =
  { kind: 'local'; path: string; text: string } | { kind: 's3'; bucket: string; prefix: string };

/** `s3://b/k` or the local path as the user wrote it, control characters escaped. */
export function placeText(p: Place): string {
  return printable(p.kind === 's3' ? `s3://${p.bucket}/${p.key}` : p.text);
}

/**
 * Where a planning problem is: the path its error shows (a name that is not UTF-8 is shown
 * with \\xNN escapes there; the key holds U+FFFD in their place), else the key.
 */
function problemPlace(f: ItemResult): string {
  const shown = f.error?.details.path;
  return typeof shown === 'string' ? printable(shown) : printable(f.key);
}

/** The place of `key` below a root. */
export function under(root: Root, key: string): Place {
  if (root.kind === 's3') return { kind: 's3', bucket: root.bucket, key: root.prefix + key };
  const base = root.text.endsWith('/') ? root.text : `${root.text}/`;
  return { kind: 'local', path: path.join(root.path, ...key.split('/')), text: base + key };
}

/** A route between two roots. */
export function rootRoute(src: Root, dst: Root): Route {
  return { source: (k) => under(src, k), dest: (k) => under(dst, k) };
}

/** What a run does with each item. */
export interface TransferJob {
  verb: 'cp' | 'mv' | 'sync';
  actions: AsyncIterable<SyncAction>;
  route: Route;
  props: ObjectProperties & { metadataDirective?: MetadataDirective };
  dryrun: boolean;
  /**
   * One object or file (cp or mv without --recursive): its failure is the command's, and
   * exits with its error's code (3 for a missing key …), as cli.md says of single-object
   * commands, not with the 1 of a run where some items failed.
   */
  single?: boolean;
  /**
   * `--source-store`: the source bucket's own session, when it is another store than the
   * run's. Copies then stream through this machine, and mv deletes sources through it.
   */
  sourceSession?: TransferSession;
}

const SILENT_SKIPS = /^(unchanged|excluded)/;

/**
 * Runs the job to the end and sets `ctx.exitCode`; a failure of the run as a whole
 * (`--max-delete`, a plan that could not be made) is thrown after the summary is printed,
 * unless nothing was done before it (then only the error is printed).
 */
export async function runTransfer(
  ctx: CliContext,
  s: TransferSession,
  job: TransferJob,
): Promise<void> {
  const g = storeGlobals(ctx);
  const out = ctx.output();
  const quiet = g.quiet === true;
  const reporter = new ProgressReporter({
    sink: ctx.io.stderr,
    mode: job.dryrun
      ? 'off'
      : progressMode({ isTTY: ctx.io.stderr.isTTY, quiet, progress: g.progress, json: g.json }),
  });
  const notes = new Map<string, string>();
  const err = (line: string) => {
    reporter.clear();
    ctx.io.stderr.write(`${line}\n`);
  };
  const { route, props } = job;
  const move = job.verb === 'mv';
  const base = {
    client: s.client,
    pacer: s.pacer,
    concurrency: s.partConcurrency,
    partSizeBytes: s.partSizeBytes,
  };
  const { metadataDirective, ...objectProps } = props;
  const uploadProps: ObjectProperties = {
    ...objectProps,
    storageClass: objectProps.storageClass ?? s.store.defaults.storageClass,
    sse: objectProps.sse ?? s.store.defaults.serverSideEncryption,
  };
  const sourceSide = job.sourceSession ?? s;
  const removeSource = async (p: Place) => {
    if (!move) return;
    if (p.kind === 'local') await unlink(p.path);
    else await deleteObject(sourceSide, p.bucket, p.key);
  };

  const handlers: SyncHandlers = {
    async upload(a) {
      const from = route.source(a.key);
      const to = route.dest(a.key);
      if (from.kind !== 'local' || to.kind !== 's3') throw new Error('upload needs local → s3');
      const r = await uploadFile({
        ...base,
        ...uploadProps,
        bucket: to.bucket,
        key: to.key,
        path: from.path,
        stateDir: s.stateDir,
        onProgress: (e) => reporter.update(a.key, e),
      });
      if (r.resumedParts > 0) notes.set(a.key, `resumed ${r.resumedParts} parts`);
      await removeSource(from);
      return { bytes: r.sizeBytes };
    },
    async download(a) {
      const from = route.source(a.key);
      const to = route.dest(a.key);
      if (from.kind !== 's3' || to.kind !== 'local') throw new Error('download needs s3 → local');
      const run = () =>
        downloadFile({
          ...base,
          bucket: from.bucket,
          key: from.key,
          path: to.path,
          ...(a.source.etag !== undefined
            ? { listed: { sizeBytes: a.source.sizeBytes, etag: a.source.etag } }
            : {}),
          onProgress: (e) => reporter.update(a.key, e),
        });
      // A folder where the object goes (downloadFile refuses it before any request):
      // replaced when empty, else retried after the deletions (makeWayForFile).
      const r = await run().catch(async (err: unknown) => {
        if (!isStowageError(err, 'E_LOCAL_NOT_A_FILE')) throw err;
        await makeWayForFile(to.path);
        return run();
      });
      if (r.resumedBytes > 0) notes.set(a.key, `resumed ${r.resumedBytes} bytes`);
      await removeSource(from);
      return { bytes: r.sizeBytes };
    },
    async copy(a) {
      const from = route.source(a.key);
      const to = route.dest(a.key);
      if (from.kind !== 's3' || to.kind !== 's3') throw new Error('copy needs s3 → s3');
      const copy = {
        ...base,
        ...objectProps,
        metadataDirective,
        bucket: to.bucket,
        key: to.key,
        onProgress: (e: ProgressEvent) => reporter.update(a.key, e),
      };
      // Across stores the bytes are verified (MD5 per part, stowage-sha256 when the source
      // has it) before the new object is completed, so mv's delete below follows a checked copy.
      const r = job.sourceSession
        ? await copyAcrossStores({
            ...copy,
            source: { client: job.sourceSession.client, bucket: from.bucket, key: from.key },
          })
        : await copyObject({ ...copy, source: { bucket: from.bucket, key: from.key } });
      await removeSource(from);
      return { bytes: r.sizeBytes };
    },
    async delete(a) {
      const target = route.dest(a.key);
      if (target.kind === 'local') await unlink(target.path);
      else await deleteObject(s, target.bucket, target.key);
    },
    // Deletions in a store go in DeleteObjects batches of up to 1,000 keys.
    async deleteMany(actions) {
      const places = actions.map((a) => route.dest(a.key));
      const first = places[0];
      const oneBucket =
        first?.kind === 's3' && places.every((p) => p.kind === 's3' && p.bucket === first.bucket);
      if (!oneBucket) {
        return Promise.all(
          actions.map((a) =>
            this.delete!(a).then(
              () => undefined,
              (err: unknown) => toStowageError(err),
            ),
          ),
        );
      }
      const keys = places.map((p) => (p as { key: string }).key);
      const byKey = new Map<string, StowageError | undefined>();
      for await (const r of deleteObjects(s, first.bucket, keys)) {
        byKey.set(r.key, r.ok ? undefined : r.error);
      }
      return keys.map((k) =>
        byKey.has(k)
          ? byKey.get(k)
          : new StowageError('E_INTERNAL', `the store gave no result for deleting ${k}`),
      );
    },
  };

  const onResult = (r: ItemResult) => {
    reporter.result(r);
    const verb = move && r.action !== 'delete' ? 'move' : r.action;
    const from = route.source(r.key);
    const to = route.dest(r.key);
    const fields = {
      type: r.action === 'error' ? 'error' : verb,
      ok: r.status !== 'failed',
      status: r.status,
      key: r.key,
      ...(r.action === 'delete'
        ? { target: placeText(to) }
        : { source: placeText(from), destination: placeText(to) }),
      ...(r.bytes !== undefined && r.status === 'ok' ? { bytes: r.bytes } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(notes.has(r.key) ? { note: notes.get(r.key) } : {}),
      ...(r.dryrun ? { dryrun: true } : {}),
      ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
    };
    if (r.status === 'skipped' && SILENT_SKIPS.test(r.reason ?? '')) return;
    if (out.json) {
      out.line(fields, () => '');
      return;
    }
    if (r.status === 'failed') {
      const e = r.error ?? toStowageError(undefined);
      err(
        r.action === 'error'
          ? `failed: ${escapeControls(e.message)} (${e.code})`
          : `${verb} failed: ${placeText(from)} to ${placeText(to)}: ${escapeControls(e.message)} (${e.code})`,
      );
      return;
    }
    if (quiet) return;
    if (r.status === 'skipped') {
      err(
        `warning: skipping ${r.action === 'delete' ? placeText(to) : placeText(from)}: ${r.reason}`,
      );
      return;
    }
    const dry = r.dryrun ? '(dryrun) ' : '';
    const note = notes.has(r.key) ? ` (${notes.get(r.key)})` : '';
    notes.delete(r.key);
    reporter.clear();
    ctx.io.stdout.write(
      r.action === 'delete'
        ? `${dry}delete: ${placeText(to)}\n`
        : `${dry}${verb}: ${placeText(from)} to ${placeText(to)}${note}\n`,
    );
  };

  async function* counted(): AsyncGenerator<SyncAction> {
    for await (const a of job.actions) {
      if (a.kind === 'upload' || a.kind === 'download' || a.kind === 'copy') {
        reporter.planned(a.source.sizeBytes);
      }
      yield a;
    }
    reporter.planDone();
  }

  // Ctrl-C or SIGTERM: say where the run stopped, then end as the signal would have ended
  // it, so that a shell loop around stowage stops too. Nothing needs undoing first: the
  // same command resumes (multipart state, partial downloads; cli.md, "Resume").
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.stop();
    ctx.io.stderr.write(
      `stowage: interrupted by ${signal} after ${reporter.filesText()}; run the same command ` +
        'again to go on (a sync skips what is done, and interrupted multipart uploads and ' +
        'downloads resume)\n',
    );
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result;
  try {
    result = await runPlan(counted(), handlers, {
      concurrency: s.fileConcurrency,
      dryrun: job.dryrun,
      onResult,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.stop();
  }
  const { summary, failures } = result;
  // --quiet printed each failure as it happened: no list repeating them.
  if (failures.length > 0 && !out.json && !quiet) {
    err(`${summary.failed} item(s) failed:`);
    for (const f of failures) {
      const where = f.action === 'error' ? problemPlace(f) : placeText(route.source(f.key));
      const message = escapeControls(f.error?.message ?? 'unknown error');
      err(`  ${where}: ${message} (${f.error?.code ?? 'E_INTERNAL'})`);
    }
    if (summary.failed > failures.length) err(`  … and ${summary.failed - failures.length} more`);
  }
  // A run that failed before any item (the listing refused: a wrong key, no such bucket,
  // an unreachable store) has nothing to sum up: "Completed: nothing to do" (or a second
  // JSON document with failed: 0) before the error would read as a success.
  const nothingDone =
    summary.uploaded + summary.downloaded + summary.copied + summary.deleted === 0 &&
    summary.skipped + summary.failed === 0;
  if (!(result.error && nothingDone)) {
    if (out.json) out.line({ summary }, () => '');
    else if (!quiet) err(formatSummary(summary, move));
  }
  if (result.error) throw result.error;
  const only = job.single && failures.length === 1 ? failures[0]?.error : undefined;
  ctx.exitCode = only ? only.exitCode || 1 : result.exitCode;
}
