/**
 * POST Object: a browser form upload to `POST /<bucket>` (what boto3's
 * generate_presigned_post and the JS SDK's createPresignedPost prepare). The form's fields
 * stand for the headers of a PutObject (`acl` for x-amz-acl, `tagging` as XML, `Content-Type`,
 * `x-amz-meta-*`, `x-amz-server-side-encryption`, …); its policy, signed by a key, says
 * which values they may take and how large the file may be. Authorisation then runs as
 * for a PutObject by that key (or anonymously, for a form without a signature).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import path from 'node:path';
import { StowageError } from '../../errors.js';
import { headerFieldValue } from '../../header-value.js';
import { parseObjectTagging } from '../documents/tagging.js';
import { bucketOf, header, type S3Request } from '../context.js';
import { requestOrigin } from '../request-origin.js';
import { objectAclForWrite } from '../handlers/acl.js';
import {
  encryptionFrom,
  kmsNeedsSignature,
  namesKms,
  writeEncryptionHeaders,
} from '../handlers/encryption-headers.js';
import {
  checksumAlgorithmFrom,
  metadataFrom,
  objectHeadersFrom,
  payloadChecksums,
  taggingFrom,
} from '../handlers/object-headers.js';
import { lockForWrite } from '../handlers/object-lock.js';
import { setWrittenVersionHeader } from '../handlers/objects.js';
import { sendXml } from '../respond.js';
import { originForm } from '../request-target.js';
import type { Route } from '../router.js';
import { missingField, readPostForm } from './form.js';
import { checkPostPolicy, type PolicyLimits } from './policy.js';
import { postFormPrincipal } from './signature.js';

/** Form fields that stand for the object headers of the same name. */
const HEADER_FIELDS = new Set([
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'content-md5',
  'x-amz-storage-class',
  'x-amz-website-redirect-location',
  'x-amz-checksum-algorithm',
]);
/** Prefixes of x-amz-* fields that stand for headers (metadata, encryption, lock, checksums). */
const HEADER_PREFIXES = [
  'x-amz-meta-',
  'x-amz-server-side-encryption',
  'x-amz-object-lock-',
  'x-amz-checksum-',
];

/** The request's own headers that policies judge (aws:UserAgent, aws:Referer). */
const OWN_HEADERS = ['user-agent', 'referer'] as const;

/**
 * The object headers a form's fields stand for (their values as a header's would be, without
 * surrounding spaces), the request's own User-Agent and Referer, and the form's signing time
 * as `x-amz-date` (for s3:signatureAge).
 */
function headersOf(
  fields: ReadonlyMap<string, string>,
  own: IncomingHttpHeaders,
): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const name of ['host', ...OWN_HEADERS]) {
    const value = own[name];
    if (typeof value === 'string') headers[name] = value;
  }
  // Only these: a field named `host`, `authorization` or `x-amz-copy-source` must not
  // become what the request says about itself.
  for (const [name, value] of fields) {
    if (HEADER_FIELDS.has(name) || HEADER_PREFIXES.some((p) => name.startsWith(p))) {
      headers[name] = headerFieldValue(value);
    }
  }
  const acl = fields.get('acl');
  if (acl !== undefined) headers['x-amz-acl'] = headerFieldValue(acl);
  const signedAt = fields.get('x-amz-date');
  if (signedAt !== undefined) headers['x-amz-date'] = signedAt;
  const tagging = fields.get('tagging');
  if (tagging !== undefined) {
    const tags = parseObjectTagging(tagging);
    headers['x-amz-tagging'] = new URLSearchParams(Object.entries(tags)).toString();
  }
  return headers;
}

/** `req` with other headers: the socket (TLS, client address) stays the request's own. */
function withHeaders(req: IncomingMessage, headers: IncomingHttpHeaders): IncomingMessage {
  return Object.create(req, { headers: { value: headers, enumerable: true } }) as IncomingMessage;
}

/** The file's bytes, refused as soon as they leave the policy's content-length-range. */
async function* withinLimits(
  file: AsyncIterable<Uint8Array>,
  limits: PolicyLimits,
): AsyncGenerator<Uint8Array> {
  const range = limits.contentLength;
  let total = 0;
  for await (const chunk of file) {
    total += chunk.byteLength;
    if (range && total > range.max) {
      throw new StowageError(
        'E_ENTITY_TOO_LARGE',
        `Your proposed upload exceeds the maximum allowed size (${range.max} bytes, the policy's content-length-range)`,
        // The file's whole size is not known when it is refused: no ProposedSize.
        { details: { maxSizeBytes: range.max } },
      );
    }
    yield chunk;
  }
  if (range && total < range.min) {
    throw new StowageError(
      'E_ENTITY_TOO_SMALL',
      `Your proposed upload is smaller than the minimum allowed size (${range.min} bytes, the policy's content-length-range)`,
      { details: { sizeBytes: total, minSizeBytes: range.min } },
    );
  }
}

/**
 * The object URL S3 names in Location, addressed as the request addressed the bucket: by
 * path (`POST /bucket`), or by host name (`POST /` to `bucket.<domain>`).
 */
function locationOf(r: S3Request, bucket: string, key: string): string {
  const secure = requestOrigin(r.req).secure;
  const encodedKey = key.split('/').map(encodeURIComponent).join('/');
  const byHost = originForm(r.req.url ?? '/').split('?')[0] === '/';
  const origin = `${secure ? 'https' : 'http'}://${header(r, 'host') ?? 'localhost'}`;
  return byHost ? `${origin}/${encodedKey}` : `${origin}/${bucket}/${encodedKey}`;
}

/** POST Object. */
export async function postObject(r: S3Request): Promise<void> {
  const bucket = bucketOf(r);
  if (!r.post) throw new StowageError('E_INTERNAL', 'POST Object without its authoriser');
  r.engine.headBucket(bucket);
  const form = await readPostForm(r.body, header(r, 'content-type'));
  try {
    const fields = new Map(form.fields);
    fields.set('bucket', bucket);
    const principal = postFormPrincipal(fields, r.post.lookup);
    // `${filename}` "is recognized by all form fields" (AWS): the key, metadata,
    // Content-Disposition... The policy judges the values the object gets (as Ceph's
    // s3-tests expect of S3 for the key). The policy itself is base64, which has no `$`.
    const filename = path.posix.basename(form.filename.replaceAll('\\', '/'));
    for (const [name, value] of fields) {
      if (name !== 'policy' && value.includes('${filename}')) {
        fields.set(name, value.replaceAll('${filename}', filename));
      }
    }
    const key = fields.get('key');
    if (key === undefined) throw missingField('key');
    const policy = fields.get('policy');
    const limits = policy === undefined ? {} : checkPostPolicy(policy, fields, Date.now());
    const req = withHeaders(r.req, headersOf(fields, r.req.headers));
    // As for any request (authenticate.ts): SSE-KMS needs a signature, which is also what
    // keeps a bucket policy fixed by a KMS key id from counting as public.
    if (principal.kind === 'anonymous' && namesKms(req.headers)) throw kmsNeedsSignature();
    const route: Route = { operation: 'PutObject', bucket, key, query: new URLSearchParams() };
    const deferred = r.post.authorize(principal, route, req);
    const put: S3Request = {
      ...r,
      req,
      route,
      anonymous: principal.kind === 'anonymous',
      // A form's checksums are fields (x-amz-checksum-*), never trailers.
      trailerAlgorithms: [],
      trailers: undefined,
      ...(principal.kind === 'key' && principal.userArn ? { userArn: principal.userArn } : {}),
      ...(deferred ? { deferred } : {}),
    };
    const { encryption, customerKey } = encryptionFrom(put);
    const result = await r.engine.putObject(bucket, key, withinLimits(form.file, limits), {
      encryption,
      customerKey,
      headers: objectHeadersFrom(put),
      metadata: metadataFrom(put),
      tags: taggingFrom(put),
      contentMd5: header(put, 'content-md5'),
      checksums: payloadChecksums(put),
      checksumAlgorithm: checksumAlgorithmFrom(put),
      storageClass: header(put, 'x-amz-storage-class'),
      acl: objectAclForWrite(put),
      lock: lockForWrite(put),
    });
    await form.done;
    respond(r, put, fields, bucket, key, result);
  } catch (err) {
    form.file.resume();
    // A body that broke inside the file reaches the engine as a failed read (an internal
    // error there): the form's own failure says what was wrong.
    const refusal = err instanceof StowageError && err.httpStatus < 500;
    throw refusal ? err : (form.failure() ?? err);
  }
}

function respond(
  r: S3Request,
  put: S3Request,
  fields: ReadonlyMap<string, string>,
  bucket: string,
  key: string,
  result: Awaited<ReturnType<S3Request['engine']['putObject']>>,
): void {
  r.res.setHeader('ETag', result.etag);
  setWrittenVersionHeader(put, result.versionId);
  writeEncryptionHeaders(r.res, result.encryption);
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
    const url = new URL(redirect);
    url.searchParams.set('bucket', bucket);
    url.searchParams.set('key', key);
    url.searchParams.set('etag', result.etag);
    r.res.statusCode = 303;
    r.res.setHeader('Location', url.toString());
    r.res.setHeader('Content-Length', 0);
    r.res.end();
    return;
  }
  const location = locationOf(r, bucket, key);
  r.res.setHeader('Location', location);
  const status = fields.get('success_action_status');
  if (status === '201') {
    sendXml(r.res, 201, 'PostResponse', {
      Location: location,
      Bucket: bucket,
      Key: key,
      ETag: result.etag,
    });
    return;
  }
  r.res.statusCode = status === '200' ? 200 : 204;
  if (r.res.statusCode === 200) r.res.setHeader('Content-Length', 0);
  r.res.end();
}
