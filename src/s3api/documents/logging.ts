/**
 * PutBucketLogging: `<BucketLoggingStatus>`, empty to turn logging off, or with
 * `<LoggingEnabled>` naming a target bucket that must exist.
 */
import { isStowageError, StowageError } from '../../errors.js';
import type { DocumentContext } from './types.js';
import {
  allowOnly,
  elementOf,
  malformed,
  oneOf,
  parseDocument,
  requireText,
  type XmlElement,
} from './xml-fields.js';

const ROOT = 'BucketLoggingStatus';

function checkKeyFormat(node: XmlElement, where: string): void {
  const at = `the <TargetObjectKeyFormat> of ${where}`;
  allowOnly(node, ['SimplePrefix', 'PartitionedPrefix'], at);
  if (Object.keys(node).length > 1) {
    throw malformed(`${at} may have only one of <SimplePrefix> or <PartitionedPrefix>`);
  }
  const partitioned = elementOf(node, 'PartitionedPrefix', at);
  if (partitioned) {
    allowOnly(partitioned, ['PartitionDateSource'], at);
    const source = requireText(partitioned, 'PartitionDateSource', at);
    oneOf(source, ['EventTime', 'DeliveryTime'], 'PartitionDateSource', at);
  }
  elementOf(node, 'SimplePrefix', at);
}

/** The bucket-document validator for `?logging`. */
export function validateLogging(xml: string, ctx: DocumentContext): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, ['LoggingEnabled'], ROOT);
  const enabled = elementOf(doc, 'LoggingEnabled', ROOT);
  if (!enabled) return;
  const where = `the <LoggingEnabled> of ${ROOT}`;
  allowOnly(
    enabled,
    ['TargetBucket', 'TargetPrefix', 'TargetGrants', 'TargetObjectKeyFormat'],
    where,
  );
  const target = requireText(enabled, 'TargetBucket', where);
  requireText(enabled, 'TargetPrefix', where);
  elementOf(enabled, 'TargetGrants', where);
  const keyFormat = elementOf(enabled, 'TargetObjectKeyFormat', where);
  if (keyFormat) checkKeyFormat(keyFormat, where);
  try {
    ctx.engine.headBucket(target);
  } catch (err) {
    if (!isStowageError(err, 'E_NO_SUCH_BUCKET')) throw err;
    throw new StowageError(
      'E_INVALID_LOGGING_TARGET',
      `The target bucket for logging does not exist: "${target}"`,
      { details: { bucket: ctx.bucket, targetBucket: target } },
    );
  }
}
