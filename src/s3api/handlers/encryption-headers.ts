/**
 * Server-side encryption headers. A write's setting comes from
 * `x-amz-server-side-encryption` (+ `-aws-kms-key-id`, `-bucket-key-enabled`); without
 * them, from the bucket's default encryption document; without one, SSE-S3 (AES256),
 * which is what S3 has applied to every new object since January 2023 (or nothing, with
 * `server.defaultEncryption: none`). SSE-C (customer-provided keys, over https only) comes
 * from `x-amz-server-side-encryption-customer-*`.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { KEY_BYTES } from '../../engine/crypto/keys.js';
import { customerKeyMd5 } from '../../engine/objects/encryption.js';
import type { ObjectEncryption } from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { bucketOf, header, type S3Request } from '../context.js';
import { requestOrigin } from '../request-origin.js';
import { childText, children, parseXml, type XmlNode } from '../xml/parse.js';

const SSE = 'x-amz-server-side-encryption';
const KMS_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const BUCKET_KEY = 'x-amz-server-side-encryption-bucket-key-enabled';
const KMS_CONTEXT = 'x-amz-server-side-encryption-context';
const ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'];

/** The SSE-S3 setting S3 applies when nothing else does. */
export const DEFAULT_ENCRYPTION: ObjectEncryption = { algorithm: 'AES256' };

const CUSTOMER = `${SSE}-customer-`;
const COPY_CUSTOMER = 'x-amz-copy-source-server-side-encryption-customer-';

/** An SSE-C key a request sent: the key and its base64 MD5. */
export interface CustomerKey {
  key: Buffer;
  md5: string;
}

function invalidCustomerHeader(message: string, name: string, value?: string): StowageError {
  return new StowageError('E_INVALID_ARGUMENT', `${message} (header ${name})`, {
    details: { argumentName: name, ...(value !== undefined ? { argumentValue: value } : {}) },
  });
}

/**
 * The SSE-C key of a request: `x-amz-server-side-encryption-customer-algorithm`, `-key`
 * and `-key-MD5` (with `copySource`, the `x-amz-copy-source-…` three that open a copy's
 * source), or undefined when none is sent. As on S3, they are refused over plain HTTP
 * (InvalidRequest), and the three must come together, name AES256, carry 256 bits in
 * base64 and the MD5 of exactly those bits (InvalidArgument, naming the header).
 */
export function customerKeyFrom(r: S3Request, copySource = false): CustomerKey | undefined {
  const prefix = copySource ? COPY_CUSTOMER : CUSTOMER;
  const sent = Object.keys(r.req.headers).find((name) => name.startsWith(prefix));
  if (sent === undefined) return undefined;
  // As S3 does, a key sent in the clear is refused for that first.
  if (!requestOrigin(r.req).secure) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection (header ${sent})`,
    );
  }
  const names = { algorithm: `${prefix}algorithm`, key: `${prefix}key`, md5: `${prefix}key-md5` };
  const unknown = Object.keys(r.req.headers).find(
    (name) => name.startsWith(prefix) && !Object.values(names).includes(name),
  );
  if (unknown !== undefined) {
    throw invalidCustomerHeader('Unknown SSE-C header', unknown, header(r, unknown));
  }
  const algorithm = header(r, names.algorithm);
  if (algorithm === undefined) {
    throw invalidCustomerHeader(
      'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.',
      names.algorithm,
    );
  }
  if (algorithm !== 'AES256') {
    throw invalidCustomerHeader(
      `The encryption algorithm must be AES256, got "${algorithm}".`,
      names.algorithm,
      algorithm,
    );
  }
  const encoded = header(r, names.key);
  if (encoded === undefined) {
    throw invalidCustomerHeader(
      'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
      names.key,
    );
  }
  const key = Buffer.from(encoded, 'base64');
  // The value is never echoed: it is a secret.
  if (key.byteLength !== KEY_BYTES || key.toString('base64') !== encoded) {
    throw invalidCustomerHeader(
      'The secret key was invalid for the specified algorithm: it must be 256 bits in base64.',
      names.key,
    );
  }
  const md5 = header(r, names.md5);
  if (md5 === undefined) {
    throw invalidCustomerHeader(
      'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.',
      names.md5,
    );
  }
  const computed = customerKeyMd5(key);
  if (md5 !== computed) {
    throw invalidCustomerHeader(
      'The calculated MD5 hash of the key did not match the hash that was provided.',
      names.md5,
      md5,
    );
  }
  return { key, md5: computed };
}

/**
 * Whether the bucket's encryption configuration blocks SSE-C writes
 * (`<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType>`): S3 then answers
 * 403 AccessDenied to PutObject, CopyObject and multipart uploads that ask for it.
 */
function blocksCustomerKeys(r: S3Request, bucket: string): boolean {
  const blocked = children(encryptionRule(r, bucket), 'BlockedEncryptionTypes')[0];
  return children(blocked, 'EncryptionType').some(
    (t) => typeof t === 'string' && t.trim() === 'SSE-C',
  );
}

/**
 * Refuses `x-amz-server-side-encryption` on a read (GET/HEAD): S3 decrypts SSE-S3 and
 * SSE-KMS objects by itself and answers such a header with 400 InvalidArgument.
 */
export function refuseEncryptionOnRead(r: S3Request): void {
  if (header(r, SSE) === undefined) return;
  throw new StowageError(
    'E_INVALID_ARGUMENT',
    `${SSE} is not allowed on GET or HEAD: objects encrypted with SSE-S3 or SSE-KMS are decrypted without it`,
  );
}

function bucketKeyFrom(r: S3Request): boolean | undefined {
  const v = header(r, BUCKET_KEY);
  if (v === undefined) return undefined;
  const lower = v.trim().toLowerCase();
  if (lower !== 'true' && lower !== 'false') {
    throw new StowageError('E_INVALID_ARGUMENT', `${BUCKET_KEY} must be true or false, got "${v}"`);
  }
  return lower === 'true';
}

/** The `<Rule>` of the bucket's ServerSideEncryptionConfiguration, or undefined. */
function encryptionRule(r: S3Request, bucket: string): XmlNode | undefined {
  const xml = r.engine.findBucketConfig(bucket, 'encryption');
  if (xml === undefined) return undefined;
  return children(parseXml(xml, 'ServerSideEncryptionConfiguration'), 'Rule')[0];
}

/** The bucket's default encryption (its ServerSideEncryptionConfiguration), or undefined. */
export function bucketDefaultEncryption(
  r: S3Request,
  bucket: string,
): ObjectEncryption | undefined {
  const rule = encryptionRule(r, bucket);
  if (rule === undefined) return undefined;
  const byDefault = children(rule, 'ApplyServerSideEncryptionByDefault')[0];
  const algorithm = childText(byDefault, 'SSEAlgorithm');
  if (algorithm === undefined || !ALGORITHMS.includes(algorithm)) return undefined;
  const keyId = childText(byDefault, 'KMSMasterKeyID');
  const bucketKey = childText(rule, 'BucketKeyEnabled')?.trim().toLowerCase() === 'true';
  return withBucketKey(
    {
      algorithm: algorithm as ObjectEncryption['algorithm'],
      ...(keyId && algorithm !== 'AES256' ? { kmsKeyId: keyId } : {}),
    },
    bucketKey,
  );
}

/**
 * The encryption of a new object (PutObject, CopyObject, CreateMultipartUpload); undefined
 * (in the clear) only under `server.defaultEncryption: none` when neither the request nor
 * the bucket asks for any.
 */
export function encryptionFrom(r: S3Request): {
  encryption?: ObjectEncryption;
  customerKey?: Buffer;
  /** The request's KMS encryption context, checked: S3 answers it back on the write. */
  kmsContext?: string;
} {
  const customer = customerKeyFrom(r);
  const context = header(r, KMS_CONTEXT);
  const algorithm = header(r, SSE);
  const keyId = header(r, KMS_KEY);
  const bucketKey = bucketKeyFrom(r);
  if (customer) {
    const kmsHeader = [SSE, KMS_KEY, BUCKET_KEY, KMS_CONTEXT].find(
      (h) => header(r, h) !== undefined,
    );
    if (kmsHeader !== undefined) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `Server Side Encryption with Customer provided key is incompatible with the encryption method specified (${kmsHeader})`,
      );
    }
    if (blocksCustomerKeys(r, bucketOf(r))) {
      throw new StowageError(
        'E_ACCESS_DENIED',
        "Requests specifying Server Side Encryption with Customer provided keys are blocked by this bucket's encryption configuration (BlockedEncryptionTypes SSE-C).",
      );
    }
    return {
      encryption: { algorithm: 'SSE-C', customerKeyMd5: customer.md5 },
      customerKey: customer.key,
    };
  }
  const encryption = writeEncryption(r, algorithm, keyId, bucketKey);
  if (context === undefined) return { encryption };
  return { encryption, kmsContext: checkKmsContext(context, encryption) };
}

/**
 * Checks `x-amz-server-side-encryption-context`: "a Base64 encoded string of a UTF-8
 * encoded JSON, which contains the encryption context as key-value pairs", for an object
 * SSE-KMS encrypts (by the request's header or the bucket's default). Returns it as sent.
 */
function checkKmsContext(value: string, encryption: ObjectEncryption | undefined): string {
  const algorithm = encryption?.algorithm;
  if (algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${KMS_CONTEXT} is only valid for an object encrypted with SSE-KMS (${SSE}: aws:kms or aws:kms:dsse, or a bucket default of either); this one is ${algorithm ?? 'not encrypted'}`,
      { details: { argumentName: KMS_CONTEXT, argumentValue: value } },
    );
  }
  const refuse = (why: string): StowageError =>
    new StowageError(
      'E_INVALID_ARGUMENT',
      `${KMS_CONTEXT} must be base64 of a UTF-8 JSON object whose values are strings: ${why}`,
      { details: { argumentName: KMS_CONTEXT, argumentValue: value } },
    );
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) {
    throw refuse('it is not base64');
  }
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64'));
    parsed = JSON.parse(text);
  } catch {
    throw refuse('it does not decode to UTF-8 JSON');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw refuse('the JSON is not an object of key-value pairs of strings');
  }
  return value;
}

/** The SSE-S3 or SSE-KMS setting of a write, from its headers or the bucket's default. */
function writeEncryption(
  r: S3Request,
  algorithm: string | undefined,
  keyId: string | undefined,
  bucketKey: boolean | undefined,
): ObjectEncryption | undefined {
  if (algorithm === undefined) {
    if (keyId !== undefined) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `${KMS_KEY} is only valid with ${SSE}: aws:kms or aws:kms:dsse`,
      );
    }
    const fallback =
      bucketDefaultEncryption(r, bucketOf(r)) ??
      (r.encryptByDefault === false ? undefined : DEFAULT_ENCRYPTION);
    if (fallback === undefined) return undefined;
    return bucketKey === undefined ? fallback : withBucketKey(fallback, bucketKey);
  }
  if (!ALGORITHMS.includes(algorithm)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${SSE} must be AES256, aws:kms or aws:kms:dsse, got "${algorithm}"`,
    );
  }
  if (keyId !== undefined && algorithm === 'AES256') {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${KMS_KEY} is only valid with ${SSE}: aws:kms or aws:kms:dsse, not AES256`,
    );
  }
  if (keyId !== undefined && keyId.trim() === '') {
    throw new StowageError('E_INVALID_ARGUMENT', `${KMS_KEY} must not be empty`);
  }
  // A KMS object written into a bucket whose default has S3 Bucket Keys on uses them
  // unless the request turns them off (S3 user guide, "Configuring an S3 Bucket Key at the
  // object level").
  const inherited =
    algorithm !== 'AES256' && bucketDefaultEncryption(r, bucketOf(r))?.bucketKeyEnabled === true;
  return withBucketKey(
    {
      algorithm: algorithm as ObjectEncryption['algorithm'],
      ...(keyId !== undefined ? { kmsKeyId: keyId } : {}),
    },
    bucketKey ?? inherited,
  );
}

/**
 * Whether a write states the encryption its object gets: an encryption header, or a default
 * encryption configured on the bucket. A copy onto itself that does is legal, as in S3
 * (`aws s3 cp s3://b/k s3://b/k --sse AES256`, AWS's recipe to re-encrypt objects).
 */
export function statesEncryption(r: S3Request): boolean {
  return (
    header(r, SSE) !== undefined ||
    header(r, KMS_KEY) !== undefined ||
    header(r, BUCKET_KEY) !== undefined ||
    header(r, `${CUSTOMER}algorithm`) !== undefined ||
    r.engine.findBucketConfig(bucketOf(r), 'encryption') !== undefined
  );
}

/** Whether a request names SSE-KMS: `aws:kms` or `aws:kms:dsse`, a key id, a context. */
export function namesKms(headers: IncomingHttpHeaders): boolean {
  const sse = headers[SSE];
  return (
    (typeof sse === 'string' && sse.trim().toLowerCase().startsWith('aws:kms')) ||
    headers[KMS_KEY] !== undefined ||
    headers[KMS_CONTEXT] !== undefined
  );
}

/**
 * S3's answer to an anonymous request that names SSE-KMS or reads an SSE-KMS object: KMS
 * needs a signed request, whatever a bucket policy or ACL allows.
 */
export function kmsNeedsSignature(): StowageError {
  return new StowageError(
    'E_INVALID_ARGUMENT',
    'Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.',
  );
}

/**
 * UploadPart takes its encryption from CreateMultipartUpload: S3 refuses the header on it
 * ("x-amz-server-side-encryption header is not supported for this operation.").
 */
export function refuseEncryptionOnPart(r: S3Request): void {
  for (const name of [SSE, KMS_KEY, BUCKET_KEY]) {
    if (header(r, name) !== undefined) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `${name} header is not supported for this operation.`,
        { details: { argumentName: name, argumentValue: header(r, name) } },
      );
    }
  }
}

/**
 * S3 Bucket Keys are for SSE-KMS: S3 takes the setting on a DSSE-KMS write and applies no
 * bucket key ("not supported for dual-layer server-side encryption"), so it is not reported.
 */
function withBucketKey(e: ObjectEncryption, on: boolean): ObjectEncryption {
  const { bucketKeyEnabled: _, ...rest } = e;
  return on && e.algorithm !== 'aws:kms:dsse' ? { ...rest, bucketKeyEnabled: true } : rest;
}

/** Sets the response headers S3 sends about an object's encryption. */
export function writeEncryptionHeaders(
  res: ServerResponse,
  encryption: ObjectEncryption | undefined,
  kmsContext?: string,
): void {
  if (!encryption) return;
  if (kmsContext !== undefined) res.setHeader(KMS_CONTEXT, kmsContext);
  if (encryption.algorithm === 'SSE-C') {
    res.setHeader(`${CUSTOMER}algorithm`, 'AES256');
    res.setHeader(`${CUSTOMER}key-MD5`, encryption.customerKeyMd5 ?? '');
    return;
  }
  res.setHeader(SSE, encryption.algorithm);
  if (encryption.kmsKeyId) res.setHeader(KMS_KEY, encryption.kmsKeyId);
  if (encryption.bucketKeyEnabled) res.setHeader(BUCKET_KEY, 'true');
}
