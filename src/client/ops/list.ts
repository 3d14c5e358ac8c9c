/**
 * Streaming listings: buckets, objects (ListObjectsV2, page by page) and object versions
 * (ListObjectVersions). Entries are yielded as pages arrive, so a listing of a million keys
 * holds one page (at most 1,000 entries) in memory.
 */
import {
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { call, type StoreSession } from './session.js';

/** A bucket as ListBuckets reports it. */
export interface BucketEntry {
  name: string;
  created?: Date;
}

/** An object of a listing. */
export interface ObjectEntry {
  type: 'object';
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
  /** STANDARD when the store omits it (S3 does for STANDARD on some stores). */
  storageClass: string;
}

/** A common prefix ("directory") of a non-recursive listing, ending with the delimiter. */
export interface PrefixEntry {
  type: 'prefix';
  prefix: string;
}

/** One entry of {@link listObjects}. */
export type ListEntry = ObjectEntry | PrefixEntry;

/** What {@link listObjects} lists. */
export interface ListObjectsOptions {
  bucket: string;
  /** Key prefix; '' for the whole bucket. */
  prefix?: string;
  /** Every key under the prefix (true) or one level, with `/` prefixes (false, default). */
  recursive?: boolean;
  /** Keys per request (1..1000); the store's default (1000) when unset. */
  pageSize?: number;
}

/** Every bucket of the account. */
export async function listBuckets(session: StoreSession): Promise<BucketEntry[]> {
  const out = await call(session, {}, () => session.s3.send(new ListBucketsCommand({})));
  return (out.Buckets ?? []).map((b) => ({ name: b.Name ?? '', created: b.CreationDate }));
}

/**
 * Lists objects (and, non-recursively, common prefixes) page by page. Within a page,
 * prefixes come before objects, as aws-cli prints them.
 *
 * @throws StowageError `E_NO_SUCH_BUCKET`, `E_ACCESS_DENIED` … from the first page on.
 * @example
 * for await (const e of listObjects(session, { bucket: 'assets', prefix: 'renders/' })) {
 *   console.log(e.type === 'prefix' ? `PRE ${e.prefix}` : `${e.size} ${e.key}`);
 * }
 */
export async function* listObjects(
  session: StoreSession,
  options: ListObjectsOptions,
): AsyncGenerator<ListEntry> {
  const { bucket, prefix = '', recursive = false, pageSize } = options;
  let token: string | undefined;
  do {
    const page = await call(session, { bucket }, () =>
      session.s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix === '' ? undefined : prefix,
          Delimiter: recursive ? undefined : '/',
          ContinuationToken: token,
          MaxKeys: pageSize,
        }),
      ),
    );
    for (const p of page.CommonPrefixes ?? []) {
      if (p.Prefix !== undefined) yield { type: 'prefix', prefix: p.Prefix };
    }
    for (const o of page.Contents ?? []) {
      yield {
        type: 'object',
        key: o.Key ?? '',
        size: Number(o.Size ?? 0),
        lastModified: o.LastModified,
        etag: o.ETag,
        storageClass: o.StorageClass ?? 'STANDARD',
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** A version or delete marker of {@link listVersions}. */
export interface VersionEntry {
  key: string;
  /** 'null' for objects written while versioning was off or suspended. */
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  lastModified?: Date;
  etag?: string;
  storageClass?: string;
}

/** One page of {@link listVersionPage}, with the markers of the next. */
export interface VersionPage {
  entries: VersionEntry[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/** Where a version listing starts: after this key (and, within it, after this version). */
export interface VersionMarker {
  keyMarker?: string;
  versionIdMarker?: string;
}

/**
 * Lists one page of versions and delete markers (key order, then newest first within a
 * key, as S3 returns them).
 */
export async function listVersionPage(
  session: StoreSession,
  options: { bucket: string; prefix?: string; pageSize?: number } & VersionMarker,
): Promise<VersionPage> {
  const { bucket, prefix = '', pageSize } = options;
  const page = await call(session, { bucket }, () =>
    session.s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix === '' ? undefined : prefix,
        KeyMarker: options.keyMarker,
        VersionIdMarker: options.keyMarker === undefined ? undefined : options.versionIdMarker,
        MaxKeys: pageSize,
      }),
    ),
  );
  const entries: VersionEntry[] = [
    ...(page.Versions ?? []).map((v) => ({
      key: v.Key ?? '',
      versionId: v.VersionId ?? 'null',
      isLatest: v.IsLatest === true,
      deleteMarker: false,
      size: Number(v.Size ?? 0),
      lastModified: v.LastModified,
      etag: v.ETag,
      storageClass: v.StorageClass,
    })),
    ...(page.DeleteMarkers ?? []).map((m) => ({
      key: m.Key ?? '',
      versionId: m.VersionId ?? 'null',
      isLatest: m.IsLatest === true,
      deleteMarker: true,
      size: 0,
      lastModified: m.LastModified,
    })),
  ];
  // S3 returns versions and markers in two lists; merge them back into key/newest order
  // (the sort is stable, so versions with equal times keep the store's order).
  entries.sort((a, b) =>
    a.key === b.key
      ? (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0)
      : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)),
  );
  return {
    entries,
    isTruncated: page.IsTruncated === true,
    nextKeyMarker: page.NextKeyMarker,
    nextVersionIdMarker: page.NextVersionIdMarker,
  };
}

/** Lists every version and delete marker under a prefix, page by page. */
export async function* listVersions(
  session: StoreSession,
  options: { bucket: string; prefix?: string; pageSize?: number },
): AsyncGenerator<VersionEntry> {
  let marker: VersionMarker = {};
  for (;;) {
    const page = await listVersionPage(session, { ...options, ...marker });
    yield* page.entries;
    if (!page.isTruncated || page.nextKeyMarker === undefined) return;
    marker = { keyMarker: page.nextKeyMarker, versionIdMarker: page.nextVersionIdMarker };
  }
}
