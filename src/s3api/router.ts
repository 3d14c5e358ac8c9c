/**
 * Maps an HTTP request to an S3 operation: which bucket and key (path-style or
 * virtual-hosted-style addressing) and which operation (method plus sub-resource).
 */
import { StowageError } from '../errors.js';

/** Every S3 operation the front end knows. */
export type Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'GetObjectLockConfiguration'
  | 'PutObjectLockConfiguration'
  | 'GetBucketRequestPayment'
  | 'PutBucketRequestPayment'
  | 'GetBucketAccelerateConfiguration'
  | 'PutBucketAccelerateConfiguration'
  | 'GetBucketVersioning'
  | 'PutBucketVersioning'
  | 'GetBucketConfig'
  | 'PutBucketConfig'
  | 'DeleteBucketConfig'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'GetBucketPolicyStatus'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListObjectVersions'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'DeleteObjectTagging'
  | 'GetObjectAttributes'
  | 'GetObjectRetention'
  | 'PutObjectRetention'
  | 'GetObjectLegalHold'
  | 'PutObjectLegalHold'
  | 'RestoreObject'
  | 'PostObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'PreflightCors';

/** Sub-resources that hold a bucket document, and the document kind the engine stores. */
export const BUCKET_DOCUMENTS = {
  policy: 'policy',
  cors: 'cors',
  lifecycle: 'lifecycle',
  'intelligent-tiering': 'intelligent-tiering',
  encryption: 'encryption',
  publicAccessBlock: 'public-access-block',
  logging: 'logging',
  inventory: 'inventory',
  replication: 'replication',
  tagging: 'tagging',
  notification: 'notification',
  metrics: 'metrics',
  analytics: 'analytics',
  acl: 'acl',
  website: 'website',
  ownershipControls: 'ownership-controls',
} as const;

/**
 * What S3 calls the operations on each bucket document (GetBucketCors, PutPublicAccessBlock,
 * ListBucketInventoryConfigurations …), for the access log: the router routes them all as
 * Get/Put/DeleteBucketConfig. `list` marks the documents kept per id, whose GET without an
 * id lists them.
 */
const DOCUMENT_OPERATIONS: Record<keyof typeof BUCKET_DOCUMENTS, { stem: string; list?: true }> = {
  policy: { stem: 'BucketPolicy' },
  cors: { stem: 'BucketCors' },
  lifecycle: { stem: 'BucketLifecycleConfiguration' },
  'intelligent-tiering': { stem: 'BucketIntelligentTieringConfiguration', list: true },
  encryption: { stem: 'BucketEncryption' },
  publicAccessBlock: { stem: 'PublicAccessBlock' },
  logging: { stem: 'BucketLogging' },
  inventory: { stem: 'BucketInventoryConfiguration', list: true },
  replication: { stem: 'BucketReplication' },
  tagging: { stem: 'BucketTagging' },
  notification: { stem: 'BucketNotificationConfiguration' },
  metrics: { stem: 'BucketMetricsConfiguration', list: true },
  analytics: { stem: 'BucketAnalyticsConfiguration', list: true },
  acl: { stem: 'BucketAcl' },
  website: { stem: 'BucketWebsite' },
  ownershipControls: { stem: 'BucketOwnershipControls' },
};

/** The S3 name of a routed operation, as the access log gives it. */
export function s3OperationName(route: Route): string {
  const doc = route.subresource && DOCUMENT_OPERATIONS[route.subresource];
  if (!doc) return route.operation;
  if (route.operation === 'PutBucketConfig') return `Put${doc.stem}`;
  if (route.operation === 'DeleteBucketConfig') return `Delete${doc.stem}`;
  return doc.list && !route.query.has('id') ? `List${doc.stem}s` : `Get${doc.stem}`;
}

/** A routed request. */
export interface Route {
  operation: Operation;
  bucket?: string;
  key?: string;
  /** For bucket documents: the sub-resource name (`cors`, `policy` …). */
  subresource?: keyof typeof BUCKET_DOCUMENTS;
  query: URLSearchParams;
}

/** Sub-resources S3 has that this server does not implement: NotImplemented, not a wrong guess. */
const UNSUPPORTED = ['select', 'torrent'];

/**
 * Retention and legal holds exist for objects only (handlers/object-lock.ts); on a bucket
 * or the service they are NotImplemented, and so are the bucket settings on an object.
 */
const UNSUPPORTED_WITHOUT_KEY = [...UNSUPPORTED, 'retention', 'legal-hold'];
const UNSUPPORTED_WITH_KEY = [...UNSUPPORTED, 'object-lock', 'requestPayment', 'accelerate'];

/** Bucket documents S3 has no DELETE operation for (DeleteBucketLogging does not exist). */
const NOT_DELETABLE: ReadonlySet<string> = new Set(['logging', 'notification']);

/**
 * Sub-resources no plain object or bucket write takes. A PUT or DELETE naming one that its
 * method has no operation for (`DELETE /b?versioning`, `PUT /b/k?restore`) is refused
 * (405), not taken for DeleteBucket or PutObject with the parameter ignored.
 */
const SUBRESOURCES: readonly string[] = [
  ...Object.keys(BUCKET_DOCUMENTS),
  'acl',
  'attributes',
  'delete',
  'legal-hold',
  'accelerate',
  'location',
  'object-lock',
  'requestPayment',
  'policyStatus',
  'restore',
  'retention',
  'uploads',
  'versioning',
  'versions',
];

/**
 * Query parameters any request may carry: the SDKs' `x-id`, the Signature V4 (and V2)
 * presigning parameters, and the headers a presigner moves into the URL: `x-amz-*`, and
 * the `Content-Type`, `Content-MD5` and `Cache-Control` the AWS SDK for JavaScript v2
 * (`aws-sdk`) adds to every SigV4 presigned URL made with them, which S3 accepts (covered
 * by the signature; the request's own headers are what is stored and checked).
 */
function isPassiveParam(name: string): boolean {
  const n = name.toLowerCase();
  return (
    n === 'x-id' ||
    n.startsWith('x-amz-') ||
    n === 'awsaccesskeyid' ||
    n === 'signature' ||
    n === 'expires' ||
    n === 'content-type' ||
    n === 'content-md5' ||
    n === 'cache-control'
  );
}

/**
 * Refuses a PUT or DELETE that names a sub-resource its method has no operation for (405),
 * or any parameter that is neither a known one (`allowed`) nor passive (501): S3 keeps adding
 * sub-resources (`?metadataTable`, `?renameObject` …), and a request for one must never be
 * taken for DeleteBucket, PutObject or DeleteObject with the parameter ignored.
 */
function noStraySubresource(
  method: string,
  q: URLSearchParams,
  target: string,
  allowed: readonly string[] = [],
): void {
  const stray = SUBRESOURCES.find((s) => q.has(s));
  if (stray !== undefined) {
    throw new StowageError(
      'E_METHOD_NOT_ALLOWED',
      `${method} is not allowed on ${target} with the ${stray} sub-resource`,
    );
  }
  for (const name of q.keys()) {
    if (!isPassiveParam(name) && !allowed.includes(name)) {
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        `the ${name} sub-resource is not implemented (a ${method} of ${target} with it is refused, not taken for a plain ${method})`,
      );
    }
  }
}

/**
 * Refuses a query whose percent-escapes are not UTF-8 (`prefix=%FF`): URLSearchParams
 * would read them as U+FFFD, so a listing asked for keys under an invalid byte listed
 * those under U+FFFD, where the same byte in the path is InvalidURI. A `%` not followed by
 * two hex digits is left to URLSearchParams, which keeps it as it is.
 */
function assertUtf8Query(rawQuery: string): void {
  if (!rawQuery.includes('%')) return;
  // A run of escapes never spans parameters ('&' and '=' end it): one scan of the query.
  for (const run of rawQuery.match(/(?:%[0-9A-Fa-f]{2})+/g) ?? []) {
    try {
      decodeURIComponent(run);
    } catch {
      const part = rawQuery.split('&').find((p) => p.includes(run)) ?? '';
      const name = part.split('=', 1)[0]!;
      throw new StowageError(
        'E_INVALID_URI',
        `the query parameter "${name.replace(/%[0-9A-Fa-f]{2}/g, '?')}" is not valid percent-encoded UTF-8`,
      );
    }
  }
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new StowageError('E_INVALID_URI', 'the request path is not valid percent-encoded UTF-8');
  }
}

/**
 * A key with a `..` segment (`../x`, `a/../b`, `..`), sent raw or percent-encoded, names a
 * different path once anything normalises the URL; S3 answers such object requests 400
 * (floci-io/floci#1231 and #1325 record AWS's answer), so the key is never stored.
 */
const DOT_DOT_SEGMENT = /(?:^|\/)\.\.(?:\/|$)/;

function refuseDotDot(key: string): string {
  if (DOT_DOT_SEGMENT.test(key)) {
    throw new StowageError(
      'E_INVALID_URI',
      `the key "${key.slice(0, 200)}" has a ".." path segment, which S3 refuses in a request URI`,
    );
  }
  return key;
}

/** Splits the target into bucket and key. `virtualHostDomain` enables `bucket.<domain>` hosts. */
export function addressOf(
  rawPath: string,
  host: string | undefined,
  virtualHostDomain: string | undefined,
): { bucket?: string; key?: string } {
  const bucket = virtualHostBucket(host, virtualHostDomain);
  if (bucket !== undefined) {
    const key = refuseDotDot(decodePath(rawPath.slice(1)));
    return key === '' ? { bucket } : { bucket, key };
  }
  const path = rawPath.slice(1);
  if (path === '') return {};
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodePath(path) };
  const named = decodePath(path.slice(0, slash));
  const key = refuseDotDot(decodePath(path.slice(slash + 1)));
  return key === '' ? { bucket: named } : { bucket: named, key };
}

/** The bucket of a virtual-hosted-style Host (`<bucket>.<domain>[:port]`), if it is one. */
function virtualHostBucket(
  host: string | undefined,
  virtualHostDomain: string | undefined,
): string | undefined {
  const hostname = hostnameOf(host);
  if (!virtualHostDomain || !hostname.endsWith(`.${virtualHostDomain}`)) return undefined;
  return hostname.slice(0, -(virtualHostDomain.length + 1));
}

/**
 * The host name of a `Host` header: lower case, without its port, and without the dot that
 * ends a fully qualified name (`photos.s3.studio.lan.:9000` is `photos.s3.studio.lan`).
 */
export function hostnameOf(host: string | undefined): string {
  return (host ?? '')
    .replace(/:\d+$/, '')
    .replace(/(?<=[^.])\.$/, '')
    .toLowerCase();
}

/** Whether `host` addresses a bucket by name (virtual-hosted style under the domain). */
export function hostNamesBucket(
  host: string | undefined,
  virtualHostDomain: string | undefined,
): boolean {
  return virtualHostBucket(host, virtualHostDomain) !== undefined;
}

/**
 * The bucket a request names, read as addressOf reads it but without judging the key: a
 * request that route() refuses (a `..` segment, a sub-resource not implemented) still
 * gets that bucket's CORS headers on its error.
 */
export function bucketNamed(
  rawPath: string,
  host: string | undefined,
  virtualHostDomain: string | undefined,
): string | undefined {
  const virtual = virtualHostBucket(host, virtualHostDomain);
  if (virtual !== undefined) return virtual;
  const first = rawPath.slice(1).split('/')[0] ?? '';
  try {
    return first === '' ? undefined : decodePath(first);
  } catch {
    return undefined; // a malformed escape: no bucket to name
  }
}

function bucketRoute(method: string, q: URLSearchParams): Pick<Route, 'operation' | 'subresource'> {
  const doc = (Object.keys(BUCKET_DOCUMENTS) as Array<keyof typeof BUCKET_DOCUMENTS>).find((s) =>
    q.has(s),
  );
  // ACLs are interpreted (src/s3api/acl), not stored as a raw document; S3 has no DELETE ?acl.
  if (q.has('acl') && method === 'GET') return { operation: 'GetBucketAcl' };
  if (q.has('acl') && method === 'PUT') return { operation: 'PutBucketAcl' };
  if (q.has('acl') && method !== 'HEAD')
    throw new StowageError('E_METHOD_NOT_ALLOWED', `${method} is not allowed on a bucket ACL`);
  switch (method) {
    case 'GET':
      if (q.has('location')) return { operation: 'GetBucketLocation' };
      if (q.has('object-lock')) return { operation: 'GetObjectLockConfiguration' };
      if (q.has('requestPayment')) return { operation: 'GetBucketRequestPayment' };
      if (q.has('accelerate')) return { operation: 'GetBucketAccelerateConfiguration' };
      if (q.has('versioning')) return { operation: 'GetBucketVersioning' };
      if (q.has('uploads')) return { operation: 'ListMultipartUploads' };
      if (q.has('versions')) return { operation: 'ListObjectVersions' };
      if (q.has('policyStatus')) return { operation: 'GetBucketPolicyStatus' };
      if (doc) return { operation: 'GetBucketConfig', subresource: doc };
      return { operation: q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects' };
    case 'PUT':
      if (q.has('versioning')) return { operation: 'PutBucketVersioning' };
      if (q.has('object-lock')) return { operation: 'PutObjectLockConfiguration' };
      if (q.has('requestPayment')) return { operation: 'PutBucketRequestPayment' };
      if (q.has('accelerate')) return { operation: 'PutBucketAccelerateConfiguration' };
      if (doc) return { operation: 'PutBucketConfig', subresource: doc };
      noStraySubresource(method, q, 'a bucket');
      return { operation: 'CreateBucket' };
    case 'DELETE':
      if (doc && NOT_DELETABLE.has(doc)) {
        throw new StowageError(
          'E_METHOD_NOT_ALLOWED',
          `DELETE is not allowed on a bucket with the ${doc} sub-resource; S3 has no delete for it: PUT an empty document instead`,
        );
      }
      if (doc) return { operation: 'DeleteBucketConfig', subresource: doc };
      noStraySubresource(method, q, 'a bucket');
      return { operation: 'DeleteBucket' };
    case 'HEAD':
      return { operation: 'HeadBucket' };
    case 'POST':
      if (q.has('delete')) return { operation: 'DeleteObjects' };
      // A browser form upload (POST Object): its query may only name nothing.
      if (q.size === 0) return { operation: 'PostObject' };
      break;
  }
  throw new StowageError(
    'E_METHOD_NOT_ALLOWED',
    `${method} is not allowed on a bucket with these parameters`,
  );
}

function objectRoute(method: string, q: URLSearchParams, copySource: boolean): Operation {
  // ?acl first: a `GET ?acl` (s3cmd info) must not answer with the object's bytes, nor a
  // `PUT ?acl` (s3cmd setacl) replace the object with the ACL document.
  if (q.has('acl')) {
    if (method === 'GET') return 'GetObjectAcl';
    if (method === 'PUT') return 'PutObjectAcl';
    throw new StowageError('E_METHOD_NOT_ALLOWED', `${method} is not allowed on an object ACL`);
  }
  switch (method) {
    case 'GET':
      if (q.has('uploadId')) return 'ListParts';
      if (q.has('tagging')) return 'GetObjectTagging';
      if (q.has('attributes')) return 'GetObjectAttributes';
      if (q.has('retention')) return 'GetObjectRetention';
      if (q.has('legal-hold')) return 'GetObjectLegalHold';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber'))
        return copySource ? 'UploadPartCopy' : 'UploadPart';
      if (q.has('tagging')) return 'PutObjectTagging';
      if (q.has('retention')) return 'PutObjectRetention';
      if (q.has('legal-hold')) return 'PutObjectLegalHold';
      noStraySubresource(method, q, 'an object', ['versionId']);
      return copySource ? 'CopyObject' : 'PutObject';
    case 'DELETE':
      if (q.has('uploadId')) return 'AbortMultipartUpload';
      if (q.has('tagging')) return 'DeleteObjectTagging';
      noStraySubresource(method, q, 'an object', ['versionId']);
      return 'DeleteObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      if (q.has('restore')) return 'RestoreObject';
      break;
  }
  throw new StowageError(
    'E_METHOD_NOT_ALLOWED',
    `${method} is not allowed on an object with these parameters`,
  );
}

/** Routes one request, or throws (NotImplemented, MethodNotAllowed, InvalidURI). */
export function route(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: { host?: string; 'x-amz-copy-source'?: string | string[] },
  virtualHostDomain?: string,
): Route {
  assertUtf8Query(rawQuery);
  const query = new URLSearchParams(rawQuery);
  const address = addressOf(rawPath, headers.host, virtualHostDomain);
  for (const s of address.key === undefined ? UNSUPPORTED_WITHOUT_KEY : UNSUPPORTED_WITH_KEY) {
    if (query.has(s))
      throw new StowageError('E_NOT_IMPLEMENTED', `the ${s} sub-resource is not implemented`);
  }
  const { bucket, key } = address;
  // A CORS preflight (OPTIONS) is answered for any sub-resource, before authentication.
  if (method === 'OPTIONS' && bucket !== undefined)
    return { operation: 'PreflightCors', bucket, ...(key === undefined ? {} : { key }), query };
  if (bucket === undefined) {
    if (method === 'GET') return { operation: 'ListBuckets', query };
    throw new StowageError('E_METHOD_NOT_ALLOWED', `${method} is not allowed on the service`);
  }
  if (key === undefined) return { ...bucketRoute(method, query), bucket, query };
  return {
    operation: objectRoute(method, query, headers['x-amz-copy-source'] !== undefined),
    bucket,
    key,
    query,
  };
}
