/**
 * Envelope encryption: every blob gets its own random 256-bit data key, wrapped
 * (AES-256-GCM) under the SSE-S3 master key or a local KMS key. The wrapped key, the
 * nonce prefix and the format name are kept in the metadata database next to the blob
 * id; the key files never leave `<dataDir>/keys/`.
 */
import { pooledRandomBytes } from '../../random-bytes.js';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { StowageError } from '../../errors.js';
import type { ObjectEncryption } from '../types.js';
import { FORMAT, PREFIX_BYTES } from './format.js';
import { KEY_BYTES, kmsRef, SSE_S3_REF } from './keys.js';

/** What the metadata records per encrypted blob. */
export interface BlobEnvelope {
  /** Format (see format.ts). */
  a: string;
  /** Key reference: `s3` or `kms:<key name>`. */
  r: string;
  /** The wrapped data key, base64: nonce (12) || ciphertext (32) || tag (16). */
  k: string;
  /** Nonce prefix, hex. */
  p: string;
}

/**
 * Where the key an envelope names comes from: the key files (KeyStore), and for SSE-C the
 * request, which carries the customer's key (withCustomerKey).
 */
export interface KeySource {
  key(ref: string, create: boolean): Promise<Buffer>;
}

/** The key reference of SSE-C envelopes: the data key is wrapped under the customer's key. */
export const CUSTOMER_REF = 'c';

/** `keys`, with the customer's key (SSE-C) answering for CUSTOMER_REF. */
export function withCustomerKey(keys: KeySource, customerKey: Buffer | undefined): KeySource {
  if (customerKey === undefined) return keys;
  return {
    key: (ref, create) =>
      ref === CUSTOMER_REF ? Promise.resolve(customerKey) : keys.key(ref, create),
  };
}

/** A data key ready to encrypt or decrypt one blob. */
export interface BlobKey {
  key: Buffer;
  prefix: Buffer;
}

const ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse', 'SSE-C']);
/** A base64 MD5 (16 bytes). */
const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;
/** The KMS key used when aws:kms is asked for without a key id (S3's aws/s3 key). */
export const DEFAULT_KMS_ALIAS = 'alias/aws/s3';
/**
 * A KMS key ARN. The account may be any word: keys are local here, and the seeds' documents
 * (like AWS's examples) write `ACCOUNT_ID` where a real ARN has 12 digits.
 */
const ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]*:[^:]*:(key\/.+|alias\/.+)$/;

/**
 * Validates an encryption setting and normalises its KMS key id to an ARN (S3 reports
 * `arn:aws:kms:<region>:<account>:key/<id>` when given a bare id).
 */
export function resolveEncryption(setting: ObjectEncryption, region: string): ObjectEncryption {
  const algorithm = setting.algorithm as string;
  if (!ALGORITHMS.has(algorithm)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `server-side encryption must be AES256, aws:kms or aws:kms:dsse, got "${algorithm}"`,
    );
  }
  if (setting.algorithm === 'SSE-C') {
    const md5 = setting.customerKeyMd5;
    if (md5 === undefined || !MD5_BASE64.test(md5)) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `SSE-C needs the base64 MD5 of the customer's key, got ${JSON.stringify(md5)}`,
      );
    }
    return { algorithm: 'SSE-C', customerKeyMd5: md5 };
  }
  if (setting.customerKeyMd5 !== undefined) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `a customer key is only valid with SSE-C, not ${setting.algorithm}`,
    );
  }
  const bucketKey = setting.bucketKeyEnabled ? { bucketKeyEnabled: true } : {};
  if (setting.algorithm === 'AES256') {
    // S3 Bucket Keys are a KMS feature: S3 ignores and does not report them for SSE-S3.
    if (setting.kmsKeyId !== undefined) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        'a KMS key id is only valid with aws:kms or aws:kms:dsse encryption, not AES256',
      );
    }
    return { algorithm: 'AES256' };
  }
  const id = setting.kmsKeyId ?? DEFAULT_KMS_ALIAS;
  // eslint-disable-next-line no-control-regex
  if (id.length === 0 || id.length > 2048 || /[\s\u0000-\u001f\u007f]/.test(id)) {
    throw new StowageError('E_INVALID_ARGUMENT', `"${id}" is not a valid KMS key id`);
  }
  let arn: string;
  if (id.startsWith('arn:')) {
    if (!ARN.test(id)) {
      throw new StowageError('E_INVALID_ARGUMENT', `"${id}" is not a valid KMS key ARN`);
    }
    arn = id;
  } else {
    const resource = id.startsWith('alias/') ? id : `key/${id}`;
    arn = `arn:aws:kms:${region}:000000000000:${resource}`;
  }
  return { algorithm: setting.algorithm, kmsKeyId: arn, ...bucketKey };
}

/** The key reference of a resolved setting. */
export function keyRefOf(setting: ObjectEncryption): string {
  if (setting.algorithm === 'AES256') return SSE_S3_REF;
  if (setting.algorithm === 'SSE-C') return CUSTOMER_REF;
  const arn = setting.kmsKeyId ?? DEFAULT_KMS_ALIAS;
  const m = ARN.exec(arn);
  const resource = m ? m[1]! : arn;
  return kmsRef(resource.startsWith('key/') ? resource.slice(4) : resource);
}

function aad(ref: string): Buffer {
  return Buffer.from(`stowage-data-key|${FORMAT}|${ref}`);
}

/** Makes a fresh data key for one blob and its envelope. */
export async function sealNewBlob(
  keys: KeySource,
  setting: ObjectEncryption,
): Promise<{ envelope: BlobEnvelope; blobKey: BlobKey }> {
  const ref = keyRefOf(setting);
  const master = await keys.key(ref, true);
  const key = pooledRandomBytes(KEY_BYTES);
  const prefix = pooledRandomBytes(PREFIX_BYTES);
  const nonce = pooledRandomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master, nonce);
  cipher.setAAD(aad(ref));
  const wrapped = Buffer.concat([nonce, cipher.update(key), cipher.final(), cipher.getAuthTag()]);
  return {
    envelope: { a: FORMAT, r: ref, k: wrapped.toString('base64'), p: prefix.toString('hex') },
    blobKey: { key, prefix },
  };
}

/** Unwraps the data key of a blob. Throws E_DATA_CORRUPT on a wrong key or changed envelope. */
export async function openBlob(keys: KeySource, envelope: BlobEnvelope): Promise<BlobKey> {
  if (envelope.a !== FORMAT) {
    throw new StowageError('E_DATA_CORRUPT', `unknown blob encryption format "${envelope.a}"`);
  }
  const master = await keys.key(envelope.r, false);
  const wrapped = Buffer.from(envelope.k, 'base64');
  const prefix = Buffer.from(envelope.p, 'hex');
  if (wrapped.byteLength !== 12 + KEY_BYTES + 16 || prefix.byteLength !== PREFIX_BYTES) {
    throw new StowageError('E_DATA_CORRUPT', 'the encryption envelope of a blob is malformed');
  }
  const decipher = createDecipheriv('aes-256-gcm', master, wrapped.subarray(0, 12));
  decipher.setAAD(aad(envelope.r));
  decipher.setAuthTag(wrapped.subarray(12 + KEY_BYTES));
  try {
    const key = Buffer.concat([
      decipher.update(wrapped.subarray(12, 12 + KEY_BYTES)),
      decipher.final(),
    ]);
    return { key, prefix };
  } catch (err) {
    throw new StowageError(
      'E_DATA_CORRUPT',
      'the data key of a blob cannot be unwrapped (wrong or replaced key file)',
      { cause: err },
    );
  }
}
