/**
 * PutBucketReplication: an IAM role and 1 to 1,000 rules, each with a status and a
 * destination bucket ARN. S3 only accepts it on a bucket whose versioning is Enabled.
 */
import { isStowageError } from '../../errors.js';
import { parseFilter } from './filter.js';
import { BUCKET_ARN } from './inventory.js';
import type { DocumentContext } from './types.js';
import {
  allowOnly,
  charLength,
  elementOf,
  elementsOf,
  integerOf,
  invalidArgument,
  invalidRequest,
  malformed,
  oneOf,
  parseDocument,
  requireElement,
  requireText,
  textOf,
  type XmlElement,
} from './xml-fields.js';
import { S3_STORAGE_CLASSES } from '../../storage-classes.js';

/** Storage classes a replica may be written in: any S3 knows. */
export const REPLICA_STORAGE_CLASSES = S3_STORAGE_CLASSES;

const ROOT = 'ReplicationConfiguration';
const MAX_RULES = 1000;
const STATUS = ['Enabled', 'Disabled'] as const;
const RULE_TAGS = [
  'ID',
  'Priority',
  'Prefix',
  'Filter',
  'Status',
  'SourceSelectionCriteria',
  'ExistingObjectReplication',
  'Destination',
  'DeleteMarkerReplication',
];
const DESTINATION_TAGS = [
  'Bucket',
  'Account',
  'StorageClass',
  'AccessControlTranslation',
  'EncryptionConfiguration',
  'ReplicationTime',
  'Metrics',
];

/** `<X><Status>Enabled|Disabled</Status></X>` when present. */
function statusBlock(node: XmlElement, tag: string, where: string): string | undefined {
  const block = elementOf(node, tag, where);
  if (!block) return undefined;
  const at = `the <${tag}> of ${where}`;
  return oneOf(requireText(block, 'Status', at), STATUS, 'Status', at);
}

/** Checks a rule's destination; returns the destination bucket's name. */
function checkDestination(node: XmlElement, where: string): string {
  const at = `the <Destination> of ${where}`;
  allowOnly(node, DESTINATION_TAGS, at);
  const bucket = requireText(node, 'Bucket', at);
  if (!BUCKET_ARN.test(bucket)) {
    throw invalidArgument(`Invalid bucket ARN "${bucket}" in ${at}; use arn:aws:s3:::name`);
  }
  const storageClass = textOf(node, 'StorageClass', at);
  if (storageClass !== undefined) oneOf(storageClass, REPLICA_STORAGE_CLASSES, 'StorageClass', at);
  textOf(node, 'Account', at);
  checkDestinationBlocks(node, at);
  return bucket.slice(bucket.lastIndexOf(':') + 1);
}

/** `<X><Minutes>n</Minutes></X>` (S3's ReplicationTimeValue). */
function checkMinutes(node: XmlElement, where: string): void {
  allowOnly(node, ['Minutes'], where);
  if (integerOf(node, 'Minutes', where) === undefined) {
    throw malformed(`${where} is missing the required element <Minutes>`);
  }
}

/**
 * The optional blocks of a destination, element by element as S3's schema has them:
 * AccessControlTranslation's Owner (only `Destination`), EncryptionConfiguration's
 * ReplicaKmsKeyID, ReplicationTime's Status and Time (required), Metrics' Status and
 * EventThreshold. S3 takes ReplicationTime only together with Metrics.
 */
function checkDestinationBlocks(node: XmlElement, at: string): void {
  const translation = elementOf(node, 'AccessControlTranslation', at);
  if (translation) {
    const where = `the <AccessControlTranslation> of ${at}`;
    allowOnly(translation, ['Owner'], where);
    oneOf(requireText(translation, 'Owner', where), ['Destination'], 'Owner', where);
  }
  const encryption = elementOf(node, 'EncryptionConfiguration', at);
  if (encryption) {
    allowOnly(encryption, ['ReplicaKmsKeyID'], `the <EncryptionConfiguration> of ${at}`);
    textOf(encryption, 'ReplicaKmsKeyID', `the <EncryptionConfiguration> of ${at}`);
  }
  const time = elementOf(node, 'ReplicationTime', at);
  if (time) {
    const where = `the <ReplicationTime> of ${at}`;
    allowOnly(time, ['Status', 'Time'], where);
    oneOf(requireText(time, 'Status', where), STATUS, 'Status', where);
    checkMinutes(requireElement(time, 'Time', where), `the <Time> of ${where}`);
  }
  const metrics = elementOf(node, 'Metrics', at);
  if (metrics) {
    const where = `the <Metrics> of ${at}`;
    allowOnly(metrics, ['Status', 'EventThreshold'], where);
    oneOf(requireText(metrics, 'Status', where), STATUS, 'Status', where);
    const threshold = elementOf(metrics, 'EventThreshold', where);
    if (threshold) checkMinutes(threshold, `the <EventThreshold> of ${where}`);
  }
  if (time && !metrics) {
    throw invalidRequest(
      `${at} has <ReplicationTime> without <Metrics>: S3 Replication Time Control needs both`,
    );
  }
}

interface ParsedRule {
  id?: string;
  priority?: number;
  /** The destination bucket's name. */
  destination: string;
}

function checkRule(node: XmlElement, index: number): ParsedRule {
  const id = textOf(node, 'ID', `Rule ${index + 1}`);
  const where = id ? `rule "${id}"` : `Rule ${index + 1}`;
  allowOnly(node, RULE_TAGS, where);
  if (id !== undefined && charLength(id) > 255) {
    throw invalidArgument(`ID length should not exceed allowed limit of 255 (${where})`);
  }
  oneOf(requireText(node, 'Status', where), STATUS, 'Status', where);
  const priority = integerOf(node, 'Priority', where);
  if (priority !== undefined && priority < 0) {
    throw invalidArgument(`'Priority' of ${where} must not be negative, got ${priority}`);
  }
  const prefix = textOf(node, 'Prefix', where);
  const filterNode = elementOf(node, 'Filter', where);
  if (prefix !== undefined && filterNode !== undefined) {
    throw malformed(`${where} has both <Filter> and <Prefix>; use <Filter><Prefix> only`);
  }
  const filter = parseFilter(filterNode, where);
  const deleteMarkers = statusBlock(node, 'DeleteMarkerReplication', where);
  if (filterNode !== undefined) {
    // The current schema (a rule with <Filter>) makes both explicit; S3 refuses otherwise.
    if (deleteMarkers === undefined) {
      throw invalidRequest(
        `DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema (${where})`,
      );
    }
    if (priority === undefined) {
      throw invalidRequest(
        `Priority must be specified for this version of Cross Region Replication configuration schema (${where})`,
      );
    }
    if (deleteMarkers === 'Enabled' && filter.tags.length > 0) {
      throw invalidRequest(
        `Delete marker replication is not supported with a Tag filter (${where})`,
      );
    }
  }
  const criteria = elementOf(node, 'SourceSelectionCriteria', where);
  if (criteria) {
    const at = `the <SourceSelectionCriteria> of ${where}`;
    allowOnly(criteria, ['SseKmsEncryptedObjects', 'ReplicaModifications'], at);
    statusBlock(criteria, 'SseKmsEncryptedObjects', at);
    statusBlock(criteria, 'ReplicaModifications', at);
  }
  statusBlock(node, 'ExistingObjectReplication', where);
  const destination = checkDestination(requireElement(node, 'Destination', where), where);
  const out: ParsedRule = { destination };
  if (id) out.id = id;
  if (priority !== undefined) out.priority = priority;
  return out;
}

/** The bucket-document validator for `?replication`. */
export function validateReplication(xml: string, ctx: DocumentContext): void {
  const doc = parseDocument(xml, ROOT);
  allowOnly(doc, ['Role', 'Rule'], ROOT);
  // Required, as on S3; it may be empty here: this server replicates with its own
  // credentials, and `stowage apply` sends an empty role for it (bucketconfig.md).
  requireText(doc, 'Role', ROOT);
  const nodes = elementsOf(doc, 'Rule', ROOT);
  if (nodes.length === 0) throw malformed(`${ROOT} must contain at least one <Rule>`);
  if (nodes.length > MAX_RULES) {
    throw malformed(`${ROOT} has ${nodes.length} rules; the maximum is ${MAX_RULES}`);
  }
  const rules = nodes.map(checkRule);
  const ids = new Set<string>();
  const priorities = new Set<number>();
  for (const r of rules) {
    if (r.id !== undefined) {
      if (ids.has(r.id))
        throw invalidArgument(
          `Rule ID must be unique. Found same ID "${r.id}" for more than one rule`,
        );
      ids.add(r.id);
    }
    if (r.priority !== undefined) {
      if (priorities.has(r.priority)) {
        throw invalidRequest(
          `Found duplicate priority ${r.priority}; rule priorities must be unique`,
        );
      }
      priorities.add(r.priority);
    }
  }
  if (ctx.engine.getBucketVersioning(ctx.bucket) !== 'Enabled') {
    throw invalidRequest(
      `Versioning must be 'Enabled' on the bucket to apply a replication configuration`,
    );
  }
  // A destination that is a bucket of this server must keep every version, as S3 requires
  // (its message). One this server does not have may be a bucket of another store
  // (`stowage apply` replicates across stores, bucketconfig.md): it is not judged here.
  for (const { destination } of rules) {
    let versioning: string;
    try {
      versioning = ctx.engine.getBucketVersioning(destination);
    } catch (err) {
      if (isStowageError(err, 'E_NO_SUCH_BUCKET')) continue;
      throw err;
    }
    if (versioning !== 'Enabled') {
      throw invalidRequest(
        `Destination bucket must have versioning enabled. ("${destination}" is ${versioning.toLowerCase()})`,
      );
    }
  }
}
