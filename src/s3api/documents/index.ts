/**
 * Validators for bucket sub-resource documents, by sub-resource. A PUT stores its
 * document only after the validator of its sub-resource accepts it.
 */
import type { BUCKET_DOCUMENTS } from '../router.js';
import { validateAnalytics } from './analytics.js';
import { validateCors } from './cors.js';
import { validateEncryption } from './encryption.js';
import { validateIntelligentTiering } from './intelligent-tiering.js';
import { validateInventory } from './inventory.js';
import { validateLifecycle } from './lifecycle.js';
import { validateLogging } from './logging.js';
import { validateMetrics } from './metrics.js';
import { validateNotification } from './notification.js';
import { validatePolicy } from './policy.js';
import { validatePublicAccessBlock } from './public-access-block.js';
import { validateReplication } from './replication.js';
import { validateBucketTagging } from './tagging.js';
import type { DocumentContext, DocumentValidator } from './types.js';
import { malformed } from './xml-fields.js';
import { parseXml } from '../xml/parse.js';
import { ownershipOfDocument } from '../acl/ownership.js';

export type { DocumentContext, DocumentEngine, DocumentValidator } from './types.js';

/** A sub-resource that holds a bucket document (`cors`, `policy` …). */
export type BucketDocumentKind = keyof typeof BUCKET_DOCUMENTS;

/**
 * Documents Stowage stores without checking their content: well-formed XML with the root
 * element S3 expects, held to the rules of every other document (no DTD, one root, nothing
 * after it), since they are returned as stored and clients must parse them.
 */
function wellFormedXml(root: string): DocumentValidator {
  return (text) => {
    if (text.trim() === '') throw malformed('the request body is empty');
    parseXml(text, root);
  };
}

/** The validator of each sub-resource. */
export const DOCUMENT_VALIDATORS: Readonly<Record<BucketDocumentKind, DocumentValidator>> = {
  policy: validatePolicy,
  cors: validateCors,
  lifecycle: validateLifecycle,
  'intelligent-tiering': validateIntelligentTiering,
  encryption: validateEncryption,
  publicAccessBlock: validatePublicAccessBlock,
  logging: validateLogging,
  inventory: validateInventory,
  replication: validateReplication,
  tagging: validateBucketTagging,
  notification: validateNotification,
  metrics: validateMetrics,
  analytics: validateAnalytics,
  acl: wellFormedXml('AccessControlPolicy'),
  website: wellFormedXml('WebsiteConfiguration'),
  ownershipControls: (text, ctx) => {
    wellFormedXml('OwnershipControls')(text, ctx);
    ownershipOfDocument(text);
  },
};

/**
 * Validates a document for sub-resource `kind` the way S3 does before storing it.
 * Throws a StowageError (MalformedXML, MalformedPolicy, InvalidArgument, InvalidRequest,
 * InvalidTag, InvalidTargetBucketForLogging) naming the problem.
 *
 * @example
 * validateBucketDocument('cors', xml, { bucket: 'assets', id: '', engine });
 */
export function validateBucketDocument(
  kind: BucketDocumentKind,
  text: string,
  ctx: DocumentContext,
): void {
  DOCUMENT_VALIDATORS[kind](text, ctx);
}
