/**
 * Two one-setting bucket documents: who pays for requests (PutBucketRequestPayment's
 * `RequestPaymentConfiguration`) and Transfer Acceleration (PutBucketAccelerateConfiguration's
 * `AccelerateConfiguration`). Anything outside S3's schema is MalformedXML.
 */
import { allowOnly, oneOf, parseDocument, requireText, textOf } from './xml-fields.js';

/** Who pays for requests and downloads. */
export type Payer = 'BucketOwner' | 'Requester';
/** Transfer Acceleration's state. */
export type AccelerateStatus = 'Enabled' | 'Suspended';

const PAYMENT = 'RequestPaymentConfiguration';
const ACCELERATE = 'AccelerateConfiguration';

/** Validates a RequestPaymentConfiguration and returns its Payer. */
export function parseRequestPayment(xml: string): Payer {
  const doc = parseDocument(xml, PAYMENT);
  allowOnly(doc, ['Payer'], PAYMENT);
  return oneOf<Payer>(
    requireText(doc, 'Payer', PAYMENT),
    ['BucketOwner', 'Requester'],
    'Payer',
    PAYMENT,
  );
}

/** Validates an AccelerateConfiguration and returns its Status (undefined when absent). */
export function parseAccelerate(xml: string): AccelerateStatus | undefined {
  const doc = parseDocument(xml, ACCELERATE);
  allowOnly(doc, ['Status'], ACCELERATE);
  const status = textOf(doc, 'Status', ACCELERATE);
  return status === undefined
    ? undefined
    : oneOf<AccelerateStatus>(status, ['Enabled', 'Suspended'], 'Status', ACCELERATE);
}
