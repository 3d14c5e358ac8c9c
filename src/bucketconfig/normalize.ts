/**
 * Expands the `buckets:` declaration into the canonical desired state of every bucket
 * (canonical.ts): the exact S3 API documents, with S3's defaults filled in, so that what
 * apply writes and what plan reads back compare equal.
 */
import type { StowageConfig } from '../config/schema.js';
import {
  bucketArn,
  type DesiredBucket,
  type IntelligentTieringConfiguration,
  type InventoryConfiguration,
  type ReplicationConfiguration,
} from './canonical.js';
import { canonicalFilter } from './normalize-filter.js';
import { lifecycleConfiguration } from './normalize-lifecycle.js';
import { notificationConfiguration } from './normalize-notifications.js';
import { bucketPolicy } from './normalize-policy.js';
import type { BucketDeclaration } from './schema.js';

export type { DesiredBucket } from './canonical.js';

type Decl<K extends keyof BucketDeclaration> = NonNullable<BucketDeclaration[K]>;

function intelligentTiering(
  configs: Decl<'intelligentTiering'>,
): IntelligentTieringConfiguration[] {
  return configs.map((c) => {
    const filter = canonicalFilter(c.filter, c.prefix);
    return {
      Id: c.id,
      Status: c.status,
      ...(Object.keys(filter).length
        ? { Filter: filter as IntelligentTieringConfiguration['Filter'] }
        : {}),
      Tierings: c.tierings.map((t) => ({ Days: t.days, AccessTier: t.accessTier })),
    };
  });
}

function inventory(configs: Decl<'inventory'>): InventoryConfiguration[] {
  return configs.map((c) => {
    const d = c.destination;
    const prefix = c.prefix ?? c.filter?.prefix;
    return {
      Id: c.id,
      IsEnabled: c.isEnabled ?? c.enabled ?? true,
      Destination: {
        S3BucketDestination: {
          Bucket: bucketArn(d.bucket),
          Format: d.format ?? 'CSV',
          ...(d.prefix !== undefined ? { Prefix: d.prefix } : {}),
          ...(d.accountId !== undefined ? { AccountId: d.accountId } : {}),
        },
      },
      ...(prefix ? { Filter: { Prefix: prefix } } : {}),
      IncludedObjectVersions: c.includedObjectVersions ?? 'Current',
      ...(c.optionalFields ? { OptionalFields: [...c.optionalFields] } : {}),
      Schedule: { Frequency: c.schedule ?? 'Daily' },
    };
  });
}

function replication(r: Decl<'replication'>): ReplicationConfiguration {
  return {
    Role: r.role ?? '',
    Rules: r.rules.map((rule, i) => ({
      ID: rule.id,
      // S3 needs a Priority with the V2 (Filter) schema; declared order is the natural one.
      Priority: rule.priority ?? i + 1,
      Status: rule.status,
      Filter: canonicalFilter(
        rule.filter,
        rule.prefix,
      ) as ReplicationConfiguration['Rules'][number]['Filter'],
      DeleteMarkerReplication: { Status: rule.deleteMarkerReplication ? 'Enabled' : 'Disabled' },
      Destination: {
        Bucket: bucketArn(rule.destination.bucket),
        ...(rule.destination.storageClass ? { StorageClass: rule.destination.storageClass } : {}),
        ...(rule.destination.account ? { Account: rule.destination.account } : {}),
      },
    })),
  };
}

/**
 * The canonical desired state of one declared bucket.
 *
 * @example
 * desiredBucket('renders', { versioning: true }); // { name: 'renders', versioning: { Status: 'Enabled' } }
 */
export function desiredBucket(name: string, decl: BucketDeclaration): DesiredBucket {
  const out: DesiredBucket = { name };
  if (decl.store) out.store = decl.store;
  if (decl.region) out.region = decl.region;
  if (decl.versioning) out.versioning = { Status: decl.versioning };
  if (decl.objectLock) {
    const lock = decl.objectLock;
    out.objectLock =
      lock.mode === undefined || lock.days === undefined
        ? { ObjectLockEnabled: 'Enabled' }
        : {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: lock.mode, Days: lock.days } },
          };
  }
  if (decl.objectOwnership)
    out.ownershipControls = { Rules: [{ ObjectOwnership: decl.objectOwnership }] };
  if (decl.acl) out.acl = decl.acl;
  const policy = bucketPolicy(name, decl);
  if (policy) out.policy = policy;
  if (decl.cors) {
    out.cors = {
      CORSRules: decl.cors.map((r) => ({
        ...(r.id ? { ID: r.id } : {}),
        AllowedOrigins: [...r.allowedOrigins],
        AllowedMethods: [...r.allowedMethods],
        ...(r.allowedHeaders ? { AllowedHeaders: [...r.allowedHeaders] } : {}),
        ...(r.exposeHeaders ? { ExposeHeaders: [...r.exposeHeaders] } : {}),
        ...(r.maxAgeSeconds !== undefined ? { MaxAgeSeconds: r.maxAgeSeconds } : {}),
      })),
    };
  }
  if (decl.lifecycle) out.lifecycle = lifecycleConfiguration(decl.lifecycle);
  if (decl.intelligentTiering) out.intelligentTiering = intelligentTiering(decl.intelligentTiering);
  if (decl.encryption) {
    const e = decl.encryption;
    out.encryption = {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: e.sse,
            ...(e.kmsKeyId ? { KMSMasterKeyID: e.kmsKeyId } : {}),
          },
          // S3 reports BucketKeyEnabled: false when it was never set.
          BucketKeyEnabled: e.bucketKey ?? false,
        },
      ],
    };
  }
  if (decl.publicAccessBlock) {
    const p = decl.publicAccessBlock;
    // S3 reports an unset flag as false.
    out.publicAccessBlock = {
      BlockPublicAcls: p.blockPublicAcls ?? false,
      IgnorePublicAcls: p.ignorePublicAcls ?? false,
      BlockPublicPolicy: p.blockPublicPolicy ?? false,
      RestrictPublicBuckets: p.restrictPublicBuckets ?? false,
    };
  }
  if (decl.logging) {
    out.logging = {
      LoggingEnabled: {
        TargetBucket: decl.logging.targetBucket,
        TargetPrefix: decl.logging.targetPrefix ?? '',
      },
    };
  }
  if (decl.inventory) out.inventory = inventory(decl.inventory);
  if (decl.replication) {
    out.replication = replication(decl.replication);
    const stores = decl.replication.rules.filter((r) => r.destination.store);
    if (stores.length)
      out.replicationStores = Object.fromEntries(stores.map((r) => [r.id, r.destination.store!]));
  }
  if (decl.tags)
    out.tags = [...decl.tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
  if (decl.notifications) out.notifications = notificationConfiguration(decl.notifications);
  if (decl.prefixes) out.prefixes = [...new Set(decl.prefixes)].sort();
  return out;
}

/**
 * The canonical desired state of every bucket the config declares, in declaration order.
 *
 * @example
 * const config = await loadConfig({ configPath: 'stowage.yaml' });
 * for (const bucket of desiredState(config)) console.log(bucket.name, Object.keys(bucket));
 */
export function desiredState(config: Pick<StowageConfig, 'buckets'>): DesiredBucket[] {
  // The loaded config is deep-frozen; desiredBucket copies what it keeps.
  const buckets = (config.buckets ?? {}) as unknown as Record<string, BucketDeclaration>;
  return Object.entries(buckets).map(([name, decl]) => desiredBucket(name, decl));
}
