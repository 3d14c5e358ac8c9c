/** DeleteObjects, object tagging, RestoreObject and GetObjectAttributes. */
import { decodeUtf8 } from '../xml/well-formed.js';
import { MAX_DELETE_BATCH } from '../../engine/objects/delete.js';
import type { DeleteObjectsItem, ObjectInfo, RestoreTier } from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { attributeNames, bucketOf, intHeader, keyOf, param, type S3Request } from '../context.js';
import { readSmallBody } from '../small-body.js';
import { sendEmpty, sendXml } from '../respond.js';
import type { XmlObject } from '../xml/build.js';
import { childText, children, parseXml, type XmlNode } from '../xml/parse.js';
import { parseObjectTagging } from '../documents/tagging.js';
import { checksumElements, rfc1123 } from './object-headers.js';
import { customerKeyFrom } from './encryption-headers.js';
import { bypassRequested, mayBypass } from './object-lock.js';
import { deleteConditionNotImplemented, setVersionHeader } from './objects.js';

/** DeleteObjects: one result per key; Quiet reports only errors. */
export async function deleteObjects(r: S3Request): Promise<void> {
  // Refused before the body on a bucket without Object Lock (InvalidArgument).
  const bypass = bypassRequested(r);
  // Keys are taken exactly as sent: ` a.png` is not `a.png`.
  const doc = parseXml(await readSmallBody(r), 'Delete', { exact: true });
  const quiet = childText(doc, 'Quiet')?.trim() === 'true';
  const items = children(doc, 'Object').map((o) => {
    const key = childText(o, 'Key');
    if (key === undefined)
      throw new StowageError('E_MALFORMED_XML', 'every <Object> needs a <Key>');
    const versionId = childText(o, 'VersionId')?.trim();
    const ifMatch = childText(o, 'ETag')?.trim();
    refuseDeleteCondition(o, versionId, ifMatch);
    return {
      key,
      ...(versionId !== undefined ? { versionId } : {}),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
    };
  });
  if (items.length === 0 || items.length > MAX_DELETE_BATCH) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `a DeleteObjects request must name 1 to ${MAX_DELETE_BATCH} objects, got ${items.length}`,
    );
  }
  const results = await deleteAllowed(r, items, bypass);
  sendXml(r.res, 200, 'DeleteResult', {
    Deleted: quiet
      ? []
      : results.flatMap((x) =>
          x.ok
            ? [
                {
                  Key: x.key,
                  VersionId: x.versionId,
                  DeleteMarker: x.deleteMarker ? true : undefined,
                  DeleteMarkerVersionId: x.deleteMarkerVersionId,
                },
              ]
            : [],
        ),
    Error: results.flatMap((x) =>
      x.ok ? [] : [{ Key: x.key, VersionId: x.versionId, Code: x.code, Message: x.message }],
    ),
  });
}

/**
 * Refuses, before anything is deleted, the delete conditions S3 does not take on a general
 * purpose bucket: a size or a last-modified time (`<Size>`, `<LastModifiedTime>`; S3 Express
 * directory buckets only), and an ETag with a version id (S3 answers 501 even for the
 * latest version's). Evaluating them as absent deleted what the condition was to protect.
 */
function refuseDeleteCondition(
  o: XmlNode,
  versionId: string | undefined,
  ifMatch: string | undefined,
): void {
  for (const tag of ['Size', 'LastModifiedTime']) {
    if (children(o, tag).length > 0) throw deleteConditionNotImplemented(`<${tag}>`);
  }
  if (versionId !== undefined && ifMatch !== undefined) {
    throw deleteConditionNotImplemented('<ETag> with <VersionId>');
  }
}

/**
 * Deletes the keys the caller may delete; the others get an AccessDenied entry each, in
 * their place in the request's order (as S3 reports them).
 */
async function deleteAllowed(
  r: S3Request,
  items: Array<{ key: string; versionId?: string; ifMatch?: string }>,
  bypass: boolean,
): Promise<DeleteObjectsItem[]> {
  // Fail closed, as PutObjectTagging does: a batch nobody authorised key by key deletes nothing.
  const judge = r.deferred?.key;
  if (!judge) throw new StowageError('E_INTERNAL', 'DeleteObjects was not authorised key by key');
  const verdicts = items.map((item) => judge(item.key, item.versionId, item.ifMatch));
  const allowed = items
    .filter((_, i) => verdicts[i] === undefined)
    .map((item) =>
      bypass && mayBypass(r, item.key, item.versionId) ? { ...item, bypassGovernance: true } : item,
    );
  const done = allowed.length > 0 ? await r.engine.deleteObjects(bucketOf(r), allowed) : [];
  let next = 0;
  return items.map((item, i): DeleteObjectsItem => {
    const refusal = verdicts[i];
    if (refusal === undefined) return done[next++] as DeleteObjectsItem;
    const named = { key: item.key, ...(item.versionId ? { versionId: item.versionId } : {}) };
    return { ...named, ok: false, code: 'AccessDenied', message: refusal.message };
  });
}

/** GetObjectTagging. */
export function getObjectTagging(r: S3Request): void {
  const t = r.engine.getObjectTagging(bucketOf(r), keyOf(r), param(r, 'versionId'));
  setVersionHeader(r, t.versionId);
  sendXml(r.res, 200, 'Tagging', {
    TagSet: { Tag: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) },
  });
}

/** PutObjectTagging. */
export async function putObjectTagging(r: S3Request): Promise<void> {
  const tags = parseObjectTagging(decodeUtf8(await readSmallBody(r, 64 * 1024)));
  // The tags are request condition keys (s3:RequestObjectTag/…): judged now they are known.
  if (!r.deferred?.tags)
    throw new StowageError('E_INTERNAL', 'PutObjectTagging was not authorised');
  r.deferred.tags(tags);
  const result = await r.engine.putObjectTagging(
    bucketOf(r),
    keyOf(r),
    tags,
    param(r, 'versionId'),
  );
  setVersionHeader(r, result.versionId);
  sendEmpty(r.res, 200);
}

/** DeleteObjectTagging. */
export async function deleteObjectTagging(r: S3Request): Promise<void> {
  const result = await r.engine.putObjectTagging(bucketOf(r), keyOf(r), {}, param(r, 'versionId'));
  setVersionHeader(r, result.versionId);
  sendEmpty(r.res, 204);
}

/** RestoreObject: 202 when a restore starts, 200 when a restored copy is extended. */
export async function restoreObject(r: S3Request): Promise<void> {
  const doc = parseXml(await readSmallBody(r, 64 * 1024), 'RestoreRequest');
  // A SELECT restore (S3 Select on archived data, closed to new AWS customers) has a Type,
  // SelectParameters and an OutputLocation; Type has no other value.
  const type = childText(doc, 'Type');
  if (type !== undefined && type !== 'SELECT') {
    throw new StowageError(
      'E_MALFORMED_XML',
      `RestoreRequest's Type can only be SELECT, got ${JSON.stringify(type)}`,
    );
  }
  if (
    type !== undefined ||
    ['SelectParameters', 'OutputLocation'].some((n) => children(doc, n).length > 0)
  ) {
    throw new StowageError(
      'E_NOT_IMPLEMENTED',
      'RestoreObject of type SELECT (SelectParameters, OutputLocation) is not implemented; restore without them',
    );
  }
  const daysText = childText(doc, 'Days');
  if (daysText === undefined)
    throw new StowageError('E_MALFORMED_XML', 'RestoreRequest needs <Days>');
  // Digits only: Number() would also read 0x10, 1e1 and +2 as days.
  if (!/^\s*\d+\s*$/.test(daysText)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `restore Days must be a whole number of at least 1, got ${JSON.stringify(daysText)}`,
    );
  }
  const days = Number(daysText);
  const tier = (childText(children(doc, 'GlacierJobParameters')[0], 'Tier') ??
    childText(doc, 'Tier') ??
    'Standard') as RestoreTier;
  const result = await r.engine.restoreObject(bucketOf(r), keyOf(r), {
    days,
    tier,
    versionId: param(r, 'versionId'),
  });
  sendEmpty(r.res, result.status === 'started' ? 202 : 200);
}

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'];

/** GetObjectAttributes. */
export function getObjectAttributes(r: S3Request): void {
  const wanted = attributeNames(r, 'x-amz-object-attributes', ATTRIBUTES);
  // S3's own answer for a missing or empty header.
  if (wanted.length === 0)
    throw new StowageError(
      'E_INVALID_REQUEST',
      'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty',
    );
  const info = r.engine.headObject(bucketOf(r), keyOf(r), {
    versionId: param(r, 'versionId'),
    customerKey: customerKeyFrom(r)?.key,
  });
  setVersionHeader(r, info.versionId);
  r.res.setHeader('Last-Modified', rfc1123(info.lastModified));
  const want = (a: string): boolean => wanted.includes(a);
  // A composite checksum comes without the "-N" HEAD and GET give it: the part count is
  // ObjectParts' (as S3 answers).
  const checksum = checksumElements(
    info.checksumType === 'COMPOSITE'
      ? Object.fromEntries(
          Object.entries(info.checksums).map(([a, v]) => [a, String(v).replace(/-\d+$/, '')]),
        )
      : info.checksums,
  );
  sendXml(r.res, 200, 'GetObjectAttributesResponse', {
    ETag: want('ETag') ? info.etag.replaceAll('"', '') : undefined,
    Checksum:
      want('Checksum') && Object.keys(checksum).length > 0
        ? { ...checksum, ChecksumType: info.checksumType }
        : undefined,
    ObjectParts: want('ObjectParts') && info.partsCount > 0 ? objectParts(r, info) : undefined,
    StorageClass: want('StorageClass') ? info.storageClass : undefined,
    ObjectSize: want('ObjectSize') ? info.size : undefined,
  });
}

/**
 * The ObjectParts of GetObjectAttributes: a page of the parts after x-amz-part-number-marker,
 * at most x-amz-max-parts (default and cap 1000) of them. `PartsCount` is S3's wire name
 * for the SDKs' TotalPartsCount.
 */
function objectParts(r: S3Request, info: ObjectInfo): XmlObject {
  const maxParts = Math.min(intHeader(r, 'x-amz-max-parts') ?? 1000, 1000);
  const marker = intHeader(r, 'x-amz-part-number-marker') ?? 0;
  const page = info.partSizes
    .map((size, i) => ({
      PartNumber: i + 1,
      Size: size,
      ...checksumElements(info.partChecksums?.[i] ?? {}),
    }))
    .slice(marker, marker + maxParts);
  // x-amz-max-parts 0 asks for no parts: a complete answer, as ListParts' max-parts=0 (a
  // truncated one would name the same marker to go on from, and a paginator would loop).
  const isTruncated = maxParts > 0 && marker + page.length < info.partsCount;
  return {
    PartsCount: info.partsCount,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.PartNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: isTruncated,
    // S3 lists parts only for an object stored with an additional checksum.
    Part: Object.keys(info.checksums).length > 0 ? page : undefined,
  };
}
