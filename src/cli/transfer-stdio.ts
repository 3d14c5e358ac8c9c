/**
 * `-` as a location of `cp`, as aws-cli takes it: `stowage cp s3://b/k -` writes the
 * object's bytes to standard output and nothing else (errors go to stderr). `-` as the
 * source (standard input) is refused: every upload is planned from the file's size (one
 * PutObject or multipart parts) and stores the SHA-256 of the whole object as metadata,
 * which S3 fixes at CreateMultipartUpload, before the first part; a stream of unknown
 * length allows neither yet. sync, mv and --recursive take no `-`.
 */
import type { S3Location } from '../client/index.js';
import { usage } from './transfer-args.js';
import { downloadToStream } from '../transfer/download-stream.js';
import type { CliContext, TextSink } from './context.js';
import type { TransferSession } from './transfer-session.js';

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
      `${how}: "-" (standard input or output) works only with cp of one object: cp s3://bucket/key -`,
    );
  }
  if (srcText === STDIO) {
    throw usage(
      'cp: "-" as the source (standard input) is not supported: an upload is planned from the size of its file (one PUT, or multipart parts with the SHA-256 of the whole object in its metadata), which a stream does not have; write it to a file and cp that',
    );
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
