/** Every sub-resource by name, in apply order. */
import type { SubResource, SubResourceName } from './contract.js';
import { encryption, logging, publicAccessBlock, tags, versioning } from './basic.js';
import { cors, notifications, policy } from './documents.js';
import { lifecycle, replication } from './rules.js';
import { intelligentTiering, inventory } from './by-id.js';
import { prefixes } from './prefixes.js';
import { acl, objectLock, ownershipControls } from './ownership.js';

/** Every sub-resource by name. */
export const SUB_RESOURCES = {
  versioning,
  objectLock,
  ownershipControls,
  acl,
  policy,
  publicAccessBlock,
  cors,
  encryption,
  lifecycle,
  intelligentTiering,
  logging,
  inventory,
  replication,
  tags,
  notifications,
  prefixes,
} satisfies Record<SubResourceName, { name: SubResourceName }>;

/** The canonical value type of each sub-resource. */
export type SubResourceValues = {
  [K in SubResourceName]: (typeof SUB_RESOURCES)[K] extends SubResource<infer T> ? T : never;
};
