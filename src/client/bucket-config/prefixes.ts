/**
 * Folder placeholders: zero-byte objects whose key ends in '/' (what consoles create for
 * "folders"). The canonical value is the sorted list of their keys. They are objects of
 * the bucket, not its configuration: apply creates the declared ones that are missing and
 * never deletes one (a console's or rclone's folder object may hold directory metadata), so
 * undeclared ones are in sync and are never pruned (compare.ts).
 */
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { StowageError } from '../../errors.js';
import { liveCall, mustCall } from './calls.js';
import type { SubResource } from './contract.js';

function checkPrefix(bucket: string, p: string): void {
  if (!p.endsWith('/') || p.startsWith('/') || p.includes('//')) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `s3://${bucket}: folder placeholder '${p}' must end in '/' and have no empty segment (e.g. 'game-assets/sprites/')`,
      { details: { bucket, subResource: 'prefixes', value: p } },
    );
  }
}

/** The sorted keys of the zero-byte '/'-terminated objects; none reads as undefined. */
export const prefixes: SubResource<string[]> = {
  name: 'prefixes',
  async read(session, bucket) {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await liveCall(session, 'prefixes', bucket, () =>
        session.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token })),
      );
      for (const o of page?.Contents ?? []) {
        if (o.Key?.endsWith('/') && (o.Size ?? 0) === 0) found.push(o.Key);
      }
      token = page?.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.length ? prefixes.normalize(found) : undefined;
  },
  async write(session, bucket, desired) {
    for (const p of desired) checkPrefix(bucket, p);
    const live = new Set((await prefixes.read(session, bucket)) ?? []);
    const want = new Set(desired);
    for (const key of [...want].sort()) {
      if (live.has(key)) continue;
      await mustCall(
        session,
        'prefixes',
        bucket,
        () =>
          session.s3.send(
            // A zero-byte body with its length given (an empty string reads as a stream of
            // unknown length to the SDK, which then warns on stderr).
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: new Uint8Array(0),
              ContentLength: 0,
            }),
          ),
        key,
      );
    }
  },
  /** Deletes every folder placeholder: for a caller that asks for it by name, never apply. */
  async remove(session, bucket) {
    for (const key of (await prefixes.read(session, bucket)) ?? []) {
      await mustCall(
        session,
        'prefixes',
        bucket,
        () => session.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
        key,
      );
    }
  },
  normalize(v) {
    return [...new Set(v)].sort();
  },
  satisfies(desired, live) {
    return desired.every((key) => live.includes(key));
  },
};
