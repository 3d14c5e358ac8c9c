/**
 * PutBucketLogging: `<BucketLoggingStatus>`, empty to turn logging off, or with
 * `<LoggingEnabled>` naming a target bucket that must exist.
 */
import { isStowageError, StowageError } from '../../errors.js';
import type { DocumentContext } from './types.js';
import { checkGroupUri, checkOwnerId } from '../acl/xml.js';
import {
  allowOnly,
  elementOf,
  elementsOf,
  malformed,
  oneOf,
  parseDocument,
  requireElement,
  requireText,
  textOf,
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

/** Permissions a log-delivery grant may give (S3's BucketLogsPermission). */
const LOG_PERMISSIONS = ['FULL_CONTROL', 'READ', 'WRITE'] as const;

/**
 * `<TargetGrants>`: `<Grant>`s, each a `<Grantee>` (an `<ID>`, a `<URI>` or an
 * `<EmailAddress>`) and a `<Permission>`. As S3 checks an ACL's grantees, a canonical user
 * must be this server's one account and a group one of S3's predefined groups.
 */
function checkTargetGrants(node: XmlElement, where: string): void {
  const at = `the <TargetGrants> of ${where}`;
  allowOnly(node, ['Grant'], at);
  elementsOf(node, 'Grant', at).forEach((grant, i) => {
    const g = `grant ${i + 1} of ${at}`;
    allowOnly(grant, ['Grantee', 'Permission'], g);
    oneOf(requireText(grant, 'Permission', g), LOG_PERMISSIONS, 'Permission', g);
    const grantee = requireElement(grant, 'Grantee', g);
    allowOnly(grantee, ['ID', 'DisplayName', 'URI', 'EmailAddress'], `the grantee of ${g}`);
    const id = textOf(grantee, 'ID', g);
    const uri = textOf(grantee, 'URI', g);
    const email = textOf(grantee, 'EmailAddress', g);
    if ([id, uri, email].filter((v) => v !== undefined).length !== 1) {
      throw malformed(`the grantee of ${g} must have exactly one of <ID>, <URI> or <EmailAddress>`);
    }
    if (id !== undefined) checkOwnerId(id, 'grantee ID');
    if (uri !== undefined) checkGroupUri(uri, 'grantee URI');
  });
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
  const grants = elementOf(enabled, 'TargetGrants', where);
  if (grants) checkTargetGrants(grants, where);
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
