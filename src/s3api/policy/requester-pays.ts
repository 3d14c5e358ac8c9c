/**
 * Requester Pays, as authorisation applies it: S3 refuses anonymous requests to a bucket
 * whose requester pays (there is nobody to bill). Every key of this server belongs to the
 * bucket owner's account, which pays for its own requests, so signed requests are let
 * through without `x-amz-request-payer`, as S3 lets the owner's through.
 */
import type { Engine } from '../../engine/engine.js';
import { isStowageError, StowageError } from '../../errors.js';
import { parseRequestPayment, type Payer } from '../documents/payment-accelerate.js';

/** Who pays for requests to `bucket`: BucketOwner unless Requester Pays was turned on. */
export function payerOf(engine: Engine, bucket: string): Payer {
  const doc = engine.findBucketConfig(bucket, 'request-payment');
  return doc === undefined ? 'BucketOwner' : parseRequestPayment(doc);
}

/** Throws AccessDenied for an anonymous request to a Requester Pays bucket. */
export function refuseAnonymousRequesterPays(engine: Engine, bucket: string): void {
  let payer: Payer;
  try {
    payer = payerOf(engine, bucket);
  } catch (err) {
    // A missing bucket: the refusal or the handler answers NoSuchBucket.
    if (isStowageError(err) && err.code === 'E_NO_SUCH_BUCKET') return;
    throw err;
  }
  if (payer !== 'Requester') return;
  throw new StowageError(
    'E_ACCESS_DENIED',
    `access denied: bucket "${bucket}" has Requester Pays on, and S3 refuses anonymous ` +
      'requests to such a bucket: sign the request',
    { details: { bucket } },
  );
}
