/**
 * Reading and writing each bucket sub-resource through the S3 API, for plan/apply (issue 5).
 * See contract.ts for what every sub-resource does and docs/bucketconfig-live.md.
 */
import { encryption, logging, publicAccessBlock, tags, versioning } from './basic.js';
import { cors, notifications, policy } from './documents.js';
import { lifecycle, replication } from './rules.js';
import { intelligentTiering, inventory } from './by-id.js';
import { prefixes } from './prefixes.js';
import { acl, objectLock, ownershipControls } from './ownership.js';

export {
  SUB_RESOURCE_NAMES,
  equal,
  canonicalJson,
  type SubResource,
  type SubResourceName,
} from './contract.js';
export type { PolicyDocument } from './documents.js';
export type { LifecycleDocument } from './rules.js';
export { readBucketState, type BucketState, type SubResourceState } from './read-all.js';
export { cannedAclOf } from './ownership.js';
export { NO_DEFAULT_ENCRYPTION } from './basic.js';
export {
  acl,
  objectLock,
  ownershipControls,
  cors,
  encryption,
  intelligentTiering,
  inventory,
  lifecycle,
  logging,
  notifications,
  policy,
  prefixes,
  publicAccessBlock,
  replication,
  tags,
  versioning,
};
export { SUB_RESOURCES, type SubResourceValues } from './registry.js';
