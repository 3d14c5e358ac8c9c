/**
 * Requester Pays and Transfer Acceleration: their documents are validated, stored and read
 * back as on S3. With Requester Pays on, anonymous requests are refused, as S3 refuses them
 * (authorize.ts): every key of this server belongs to the bucket owner's account, which
 * pays for its own requests. Acceleration changes nothing here (there is no accelerated
 * endpoint); its setting is kept for the tools that read it.
 */
import { StowageError } from '../../errors.js';
import { bucketOf, type S3Request } from '../context.js';
import { parseAccelerate, parseRequestPayment } from '../documents/payment-accelerate.js';
import { payerOf } from '../policy/requester-pays.js';
import { sendEmpty, sendXml } from '../respond.js';
import { readSmallBody } from '../small-body.js';
import { decodeUtf8 } from '../xml/well-formed.js';

const MAX_BODY = 16 * 1024;

/** GetBucketRequestPayment: BucketOwner, as for every S3 bucket, unless set. */
export function getBucketRequestPayment(r: S3Request): void {
  const bucket = bucketOf(r);
  r.engine.headBucket(bucket);
  sendXml(r.res, 200, 'RequestPaymentConfiguration', { Payer: payerOf(r.engine, bucket) });
}

/** PutBucketRequestPayment. */
export async function putBucketRequestPayment(r: S3Request): Promise<void> {
  const bucket = bucketOf(r);
  const text = decodeUtf8(await readSmallBody(r, MAX_BODY));
  r.engine.headBucket(bucket);
  parseRequestPayment(text);
  await r.engine.putBucketConfig(bucket, 'request-payment', text);
  sendEmpty(r.res, 200);
}

/** GetBucketAccelerateConfiguration: no Status for a bucket never accelerated, as S3. */
export function getBucketAccelerateConfiguration(r: S3Request): void {
  const bucket = bucketOf(r);
  r.engine.headBucket(bucket);
  const doc = r.engine.findBucketConfig(bucket, 'accelerate');
  const status = doc === undefined ? undefined : parseAccelerate(doc);
  sendXml(r.res, 200, 'AccelerateConfiguration', status === undefined ? {} : { Status: status });
}

/**
 * PutBucketAccelerateConfiguration. S3 has no acceleration for bucket names with a period
 * (they do not fit its accelerated host names): InvalidRequest, as there.
 */
export async function putBucketAccelerateConfiguration(r: S3Request): Promise<void> {
  const bucket = bucketOf(r);
  const text = decodeUtf8(await readSmallBody(r, MAX_BODY));
  r.engine.headBucket(bucket);
  const status = parseAccelerate(text);
  if (status === undefined) {
    throw new StowageError('E_MALFORMED_XML', 'AccelerateConfiguration needs a <Status>');
  }
  if (bucket.includes('.')) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `S3 Transfer Acceleration is not supported for buckets with periods (.) in their names ("${bucket}")`,
      { details: { bucket } },
    );
  }
  await r.engine.putBucketConfig(bucket, 'accelerate', text);
  sendEmpty(r.res, 200);
}
