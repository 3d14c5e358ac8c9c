/**
 * Streams a bucket listing (ListObjectsV2, page by page) in the order S3 returns it: the
 * UTF-8 byte order of the keys. The next page is fetched while the current one is consumed,
 * so at most two pages are in memory.
 *
 * Keys are requested with `encoding-type=url` and decoded here, because XML 1.0 cannot
 * carry some characters S3 keys may hold (a carriage return becomes a newline in any XML
 * parser), and a sync must see every key exactly.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { translateS3Error } from '../../client/index.js';
import { StowageError } from '../../errors.js';
import { readListingFast, type ListingPage } from './listing-page.js';
import type { ListedItem } from './types.js';

/** One object of a listing. */
export interface RemoteObject {
  /** The full key (not relative to the prefix). */
  key: string;
  sizeBytes: number;
  lastModified: Date;
  /** The ETag without its quotes. */
  etag?: string;
  storageClass?: string;
}

/** Options for {@link listRemote}. */
export interface ListRemoteOptions {
  bucket: string;
  /** List only keys that start with this. */
  prefix?: string;
  /** Keys per request (1-1000). Default 1000. */
  pageSize?: number;
  abortSignal?: AbortSignal;
}

/** S3's form-style URL encoding: '+' is a space. */
function decodeKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch (err) {
    throw new StowageError('E_INTERNAL', `the store returned a badly encoded key "${encoded}"`, {
      cause: err,
    });
  }
}

/**
 * Yields every object under `prefix`, in listing order.
 *
 * @example
 * for await (const o of listRemote(client, { bucket: 'assets', prefix: 'img/' })) {
 *   console.log(o.key, o.sizeBytes, o.lastModified);
 * }
 */
export async function* listRemote(
  client: S3Client,
  options: ListRemoteOptions,
): AsyncGenerator<RemoteObject> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new StowageError('E_INVALID_ARGUMENT', `pageSize must be 1-1000, got ${pageSize}`);
  }
  const request = (token: string | undefined): Promise<ListingPage> => {
    const command = new ListObjectsV2Command({
      Bucket: options.bucket,
      Prefix: options.prefix || undefined,
      MaxKeys: pageSize,
      ContinuationToken: token,
      EncodingType: 'url',
    });
    const fastPage = readListingFast(command);
    const sent = client.send(command, { abortSignal: options.abortSignal }).then(
      (output) => fastPage() ?? pageOf(output),
      (err: unknown) => {
        throw translateS3Error(err, { bucket: options.bucket, key: options.prefix ?? '' });
      },
    );
    // Awaited below; a consumer that stops early must not leave an unhandled rejection.
    sent.catch(() => undefined);
    return sent;
  };
  let next: Promise<ListingPage> | undefined = request(undefined);
  while (next) {
    const page: ListingPage = await next;
    const token = page.isTruncated ? page.nextContinuationToken : undefined;
    if (page.isTruncated && !token) {
      throw new StowageError(
        'E_INTERNAL',
        'the store said the listing is truncated but sent no continuation token',
      );
    }
    // The next page is asked for before this one is consumed: the store works on it while
    // the caller plans with this one.
    next = token ? request(token) : undefined;
    const urlEncoded = page.encodingType === 'url';
    for (const o of page.entries) {
      yield {
        key: urlEncoded ? decodeKey(o.key) : o.key,
        sizeBytes: o.sizeBytes,
        lastModified: o.lastModified,
        ...(o.etag ? { etag: o.etag.replace(/^"|"$/g, '') } : {}),
        ...(o.storageClass ? { storageClass: o.storageClass } : {}),
      };
    }
  }
}

/** A page the SDK read, in the form of the fast reader's. */
function pageOf(output: {
  Contents?: Array<{
    Key?: string;
    Size?: number;
    LastModified?: Date;
    ETag?: string;
    StorageClass?: string;
  }>;
  IsTruncated?: boolean;
  NextContinuationToken?: string;
  EncodingType?: string;
}): ListingPage {
  const entries = [];
  for (const o of output.Contents ?? []) {
    if (o.Key === undefined) continue;
    entries.push({
      key: o.Key,
      sizeBytes: o.Size ?? 0,
      lastModified: o.LastModified ?? new Date(0),
      ...(o.ETag ? { etag: o.ETag } : {}),
      ...(o.StorageClass ? { storageClass: o.StorageClass } : {}),
    });
  }
  return {
    entries,
    isTruncated: output.IsTruncated === true,
    ...(output.NextContinuationToken
      ? { nextContinuationToken: output.NextContinuationToken }
      : {}),
    ...(output.EncodingType ? { encodingType: output.EncodingType } : {}),
  };
}

/**
 * Turns a listing into planner items with keys relative to `prefix` (the sync root).
 *
 * @example
 * planSync({ source: walkLocal(dir), dest: remoteItems(listRemote(c, { bucket, prefix }), prefix), … });
 */
export async function* remoteItems(
  objects: AsyncIterable<RemoteObject>,
  prefix = '',
): AsyncGenerator<ListedItem> {
  for await (const o of objects) {
    if (!o.key.startsWith(prefix)) continue;
    const key = o.key.slice(prefix.length);
    if (key === '') continue;
    yield {
      kind: 'entry',
      entry: {
        key,
        sizeBytes: o.sizeBytes,
        mtimeMs: o.lastModified.getTime(),
        ...(o.etag !== undefined ? { etag: o.etag } : {}),
        ...(o.storageClass !== undefined ? { storageClass: o.storageClass } : {}),
      },
    };
  }
}
