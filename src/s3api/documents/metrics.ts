/** PutBucketMetricsConfiguration: an `Id` equal to `?id=` and an optional filter. */
import { parseFilter } from './filter.js';
import type { DocumentContext } from './types.js';
import { allowOnly, checkConfigurationId, elementOf, parseDocument } from './xml-fields.js';

const ROOT = 'MetricsConfiguration';

/** The bucket-document validator for `?metrics`. */
export function validateMetrics(xml: string, ctx: Pick<DocumentContext, 'id'>): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, ['Id', 'Filter'], ROOT);
  checkConfigurationId(doc, ROOT, ctx.id);
  parseFilter(elementOf(doc, 'Filter', ROOT), ROOT, { accessPoint: true });
}
