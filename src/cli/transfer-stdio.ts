/**
 * `-` as a location of `cp`, as aws-cli takes it. `stowage cp s3://b/k -` writes the
 * object's bytes to standard output and nothing else (errors go to stderr).
 * `stowage cp - s3://b/k` stores what standard input gives, cut into parts as it arrives
 * (transfer/upload-stream.ts); `--expected-size` sizes the parts of a stream over about
 * 78 GiB, as aws-cli's does. sync, mv and --recursive take no `-`.
 */
import { fstatSync } from 'node:fs';
import type { S3Location } from '../client/index.js';
import { StowageError } from '../errors.js';
import type { ObjectProperties } from '../transfer/index.js';
import { emptySummary } from '../transfer/sync/run-plan.js';
import { uploadStream } from '../transfer/upload-stream.js';
import { usage } from './transfer-args.js';
import { downloadToStream } from '../transfer/download-stream.js';
import type { CliContext, TextSink } from './context.js';
import type { TransferSession } from './transfer-session.js';

/** `text` as one word for a POSIX shell: single-quoted, so `$` and backticks stay as they are. */
function shellWord(text: string): string {
  return /^[\w./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** S3's largest object: 5 TiB. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** The location that means standard input or output. */
export const STDIO = '-';

/**
 * Refuses `-` where it is not supported: anything but a `cp` of one object to stdout.
 *
 * @throws StowageError `E_USAGE` saying what `-` works with.
 * @example
 * refuseStdio('sync', src, dst, { recursive: false, json: false }); // throws for sync - s3://b/
 */
export function refuseStdio(
  verb: 'cp' | 'mv' | 'sync',
  srcText: string,
  dstText: string,
  o: { recursive: boolean; json: boolean },
): void {
  if (srcText !== STDIO && dstText !== STDIO) return;
  if (verb !== 'cp' || o.recursive) {
    const how = verb === 'cp' ? 'cp --recursive' : verb;
    throw usage(
      `${how}: "-" (standard input or output) works only with cp of one object: cp s3://bucket/key - or cp - s3://bucket/key`,
    );
  }
  if (srcText === STDIO && dstText === STDIO) {
    throw usage('cp: "-" can be the source or the destination, not both');
  }
  if (srcText === STDIO) {
    if (!dstText.startsWith('s3://')) {
      throw usage(
        `cp: standard input ("-") can only be uploaded to s3://bucket/key, not "${dstText}"`,
      );
    }
    return;
  }
  if (o.json) {
    throw usage('cp: --json cannot be used with "-": standard output carries the object\'s bytes');
  }
}

/** Writes to a sink, waiting for 'drain' when a Node stream says its buffer is full. */
function writerFor(sink: TextSink): (bytes: Buffer) => Promise<void> {
  const stream = sink as TextSink & { once?: (event: 'drain', f: () => void) => unknown };
  return async (bytes) => {
    const ok = sink.write(bytes as unknown as string);
    if (ok === false && typeof stream.once === 'function') {
      await new Promise<void>((resolve) => stream.once!('drain', resolve));
    }
  };
}

/**
 * `cp s3://bucket/key -`: the object's bytes on stdout, nothing else. `--dryrun` prints
 * the line a download would (on stderr, so stdout stays empty).
 */
export async function downloadToStdout(
  ctx: CliContext,
  s: TransferSession,
  src: S3Location,
  o: { dryrun: boolean },
): Promise<void> {
  if (o.dryrun) {
    ctx.io.stderr.write(`(dryrun) download: s3://${src.bucket}/${src.key} to -\n`);
    return;
  }
  await downloadToStream({
    client: s.client,
    pacer: s.pacer,
    concurrency: s.partConcurrency,
    partSizeBytes: s.partSizeBytes,
    bucket: src.bucket,
    key: src.key,
    write: writerFor(ctx.io.stdout),
  });
}

/** `--expected-size` as cp takes it: a whole number of bytes, as aws-cli's. */
export function parseExpectedSize(text: string | undefined, srcText: string): number | undefined {
  if (text === undefined) return undefined;
  if (srcText !== STDIO) {
    throw usage(
      '--expected-size applies only to an upload from standard input: cp - s3://bucket/key',
    );
  }
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usage(`invalid --expected-size "${text}": expected a whole number of bytes`);
  }
  if (Number(text) > MAX_OBJECT_BYTES) {
    throw usage(
      `invalid --expected-size "${text}": an S3 object holds at most 5 TiB (${MAX_OBJECT_BYTES} bytes)`,
    );
  }
  return Number(text);
}

/**
 * `cp - s3://bucket/key`: what standard input gives, stored as one object; one output
 * line (or JSON line) like a file upload's. `--dryrun` reads nothing.
 */
export async function uploadFromStdin(
  ctx: CliContext,
  s: TransferSession,
  dst: S3Location,
  o: { dryrun: boolean; props: ObjectProperties; expectedSizeBytes?: number },
): Promise<void> {
  if (dst.key === '' || dst.key.endsWith('/')) {
    throw usage(
      `"s3://${dst.bucket}/${dst.key}" names a prefix; standard input needs an object key`,
    );
  }
  const target = `s3://${dst.bucket}/${dst.key}`;
  const out = ctx.output();
  const started = Date.now();
  /**
   * The result line of the upload, as a file upload's; with --json, then the summary line
   * every transfer command ends with.
   */
  const report = (extra: { dryrun: true } | { bytes: number }) => {
    out.line(
      {
        type: 'upload',
        ok: true,
        status: 'ok',
        key: dst.key,
        source: STDIO,
        destination: target,
        ...extra,
      },
      () => `${'dryrun' in extra ? '(dryrun) ' : ''}upload: - to ${target}\n`,
    );
    if (!out.json) return;
    const dryrun = 'dryrun' in extra;
    const summary = {
      ...emptySummary(dryrun),
      uploaded: 1,
      bytes: 'bytes' in extra ? extra.bytes : 0,
      durationMs: Date.now() - started,
    };
    out.line({ summary }, () => '');
  };
  if (o.dryrun) {
    report({ dryrun: true });
    return;
  }
  if (ctx.io.stdin === process.stdin && fstatSync(0).isDirectory()) {
    // Node ends a read of a directory at once: an empty object would replace the key.
    throw new StowageError(
      'E_LOCAL_NOT_A_FILE',
      'standard input is a directory; pipe or redirect a file into cp -',
    );
  }
  // Ctrl-C (or SIGTERM) aborts the multipart upload: a stream cannot be resumed, and an
  // open upload would keep its parts (and their cost) until a lifecycle rule removes it.
  const stop = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const interrupt = (signal: NodeJS.Signals) => () => {
    signalled = signal;
    stop.abort(new Error(`interrupted by ${signal}`));
  };
  const onInt = interrupt('SIGINT');
  const onTerm = interrupt('SIGTERM');
  let committing = false;
  let leftOpen: { uploadId: string; error: StowageError } | undefined;
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  let r;
  try {
    r = await uploadStream({
      client: s.client,
      pacer: s.pacer,
      concurrency: s.partConcurrency,
      partSizeBytes: s.partSizeBytes,
      bucket: dst.bucket,
      key: dst.key,
      source: ctx.io.stdin,
      sourceName: 'standard input',
      signal: stop.signal,
      onCommitting: () => (committing = true),
      onAbortFailed: (uploadId, error) => (leftOpen = { uploadId, error }),
      ...o.props,
      ...(o.expectedSizeBytes !== undefined ? { expectedSizeBytes: o.expectedSizeBytes } : {}),
    });
  } catch (err) {
    if (leftOpen) {
      ctx.io.stderr.write(
        `stowage: warning: multipart upload ${leftOpen.uploadId} of ${target} could not be aborted ` +
          `(${leftOpen.error.message}); its parts stay, and are billed, until it is: ` +
          `aws s3api abort-multipart-upload${s.store.endpoint ? ` --endpoint-url ${shellWord(s.store.endpoint)}` : ''} ` +
          `--bucket ${dst.bucket} --key ${shellWord(dst.key)} --upload-id ${leftOpen.uploadId}, ` +
          'or a lifecycle rule with AbortIncompleteMultipartUpload\n',
      );
    }
    if (signalled === undefined) throw err;
    ctx.io.stderr.write(
      committing
        ? `stowage: interrupted by ${signalled} while the store was completing the upload: ` +
            `${target} may hold the new object; check it with stowage ls ${target}\n`
        : `stowage: interrupted by ${signalled}: nothing was stored at ${target}` +
            `${leftOpen ? '' : ', and the upload was aborted'}\n`,
    );
    ctx.exitCode = 130;
    return;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    // After a failure, what is left of the stream is never read: let the producer stop
    // (and this process exit) instead of waiting on a full pipe.
    (ctx.io.stdin as { destroy?: () => void }).destroy?.();
  }
  if (ctx.globals().quiet && !out.json) return;
  report({ bytes: r.sizeBytes });
}
