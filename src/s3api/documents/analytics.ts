/**
 * PutBucketAnalyticsConfiguration (storage class analysis): an `Id` equal to `?id=`, an
 * optional filter, and a `StorageClassAnalysis` that may export its findings as CSV to a
 * bucket. Stored and returned; stowage serve runs no analysis (serve.md).
 */
import { parseFilter } from './filter.js';
import { requireDestinationBucket } from './inventory.js';
import type { DocumentContext } from './types.js';
import {
  allowOnly,
  checkConfigurationId,
  elementOf,
  oneOf,
  parseDocument,
  requireElement,
  requireText,
  textOf,
  type XmlElement,
} from './xml-fields.js';

const ROOT = 'AnalyticsConfiguration';

function checkDataExport(node: XmlElement): void {
  const where = `the <DataExport> of ${ROOT}`;
  allowOnly(node, ['OutputSchemaVersion', 'Destination'], where);
  oneOf(requireText(node, 'OutputSchemaVersion', where), ['V_1'], 'OutputSchemaVersion', where);
  const destination = requireElement(node, 'Destination', where);
  const at = `the <Destination> of ${where}`;
  allowOnly(destination, ['S3BucketDestination'], at);
  const s3 = requireElement(destination, 'S3BucketDestination', at);
  const dest = `the <S3BucketDestination> of ${ROOT}`;
  allowOnly(s3, ['Format', 'BucketAccountId', 'Bucket', 'Prefix'], dest);
  oneOf(requireText(s3, 'Format', dest), ['CSV'], 'Format', dest);
  requireDestinationBucket(s3, dest);
  textOf(s3, 'BucketAccountId', dest);
  textOf(s3, 'Prefix', dest);
}

/** The bucket-document validator for `?analytics`. */
export function validateAnalytics(xml: string, ctx: Pick<DocumentContext, 'id'>): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, ['Id', 'Filter', 'StorageClassAnalysis'], ROOT);
  checkConfigurationId(doc, ROOT, ctx.id);
  parseFilter(elementOf(doc, 'Filter', ROOT), ROOT);
  const analysis = requireElement(doc, 'StorageClassAnalysis', ROOT);
  const where = `the <StorageClassAnalysis> of ${ROOT}`;
  allowOnly(analysis, ['DataExport'], where);
  const exported = elementOf(analysis, 'DataExport', where);
  if (exported) checkDataExport(exported);
}
