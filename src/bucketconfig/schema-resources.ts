/**
 * The declaration of the bucket sub-resources other than lifecycle: CORS, Intelligent-Tiering,
 * encryption, public-access-block, logging, inventory, replication, tags.
 * Each accepts the friendly form documented in docs/bucketconfig.md or S3's own JSON.
 */
import { z } from 'zod';
import { INVENTORY_OPTIONAL_FIELDS, REPLICA_STORAGE_CLASSES } from './canonical.js';
import {
  daysSchema,
  filterSchema,
  prefixSchema,
  s3Object,
  statusSchema,
  tagListSchema,
  tagSchema,
  unwrapping,
} from './schema-helpers.js';

const corsRuleSchema = s3Object({
  id: z.string().min(1).max(255).optional(),
  allowedOrigins: z.array(z.string().min(1)).min(1),
  allowedMethods: z.array(z.enum(['GET', 'PUT', 'POST', 'DELETE', 'HEAD'])).min(1),
  allowedHeaders: z.array(z.string().min(1)).optional(),
  exposeHeaders: z.array(z.string().min(1)).optional(),
  maxAgeSeconds: z.number().int().nonnegative().optional(),
});

/** `cors:` — a list of rules, or S3's `{ CORSRules: [...] }`. */
export const corsSchema = unwrapping('corsRules', z.array(corsRuleSchema));

const ACCESS_TIERS = ['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS'] as const;

/** S3's list of `{ AccessTier, Days }`, or a map `{ ARCHIVE_ACCESS: 90d }`. */
const tieringsSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value).map(([accessTier, days]) => ({ accessTier, days }))
      : value,
  z.array(s3Object({ accessTier: z.enum(ACCESS_TIERS), days: daysSchema })).min(1),
);

/** `intelligentTiering:` — a list of configurations. */
export const intelligentTieringSchema = z.array(
  s3Object({
    id: z.string().min(1).max(64),
    status: statusSchema.default('Enabled'),
    prefix: prefixSchema.optional(),
    filter: filterSchema.optional(),
    tierings: tieringsSchema,
  }),
);

const SSE = z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']);

/** `encryption:` — `{ sse, kmsKeyId?, bucketKey? }` or S3's `{ Rules: [...] }`. */
export const encryptionSchema = z.preprocess(
  fromS3Encryption,
  s3Object({ sse: SSE, kmsKeyId: z.string().min(1).optional(), bucketKey: z.boolean().optional() }),
);

/** S3's `{ Rules: [{ ApplyServerSideEncryptionByDefault, BucketKeyEnabled }] }` to the short form. */
function fromS3Encryption(value: unknown): unknown {
  const rules = (value as { Rules?: unknown } | null)?.Rules;
  if (!Array.isArray(rules) || rules.length !== 1) return value;
  const rule = rules[0] as Record<string, unknown>;
  const apply = (rule.ApplyServerSideEncryptionByDefault ?? {}) as Record<string, unknown>;
  return {
    sse: apply.SSEAlgorithm,
    ...(apply.KMSMasterKeyID !== undefined ? { kmsKeyId: apply.KMSMasterKeyID } : {}),
    ...(rule.BucketKeyEnabled !== undefined ? { bucketKey: rule.BucketKeyEnabled } : {}),
  };
}

/** `publicAccessBlock:` — `true` (all four on), `false`, or the four booleans. */
export const publicAccessBlockSchema = z.preprocess(
  (v) =>
    typeof v === 'boolean'
      ? { blockPublicAcls: v, ignorePublicAcls: v, blockPublicPolicy: v, restrictPublicBuckets: v }
      : v,
  s3Object({
    blockPublicAcls: z.boolean().optional(),
    ignorePublicAcls: z.boolean().optional(),
    blockPublicPolicy: z.boolean().optional(),
    restrictPublicBuckets: z.boolean().optional(),
  }),
);

const loggingTarget = s3Object({
  targetBucket: z.string().min(1),
  targetPrefix: z.string().optional(),
});

/** `logging:` — `{ targetBucket, targetPrefix? }` or S3's `{ LoggingEnabled: {...} }`. */
export const loggingSchema = unwrapping('loggingEnabled', loggingTarget);

const FORMATS = z.enum(['CSV', 'ORC', 'Parquet']);
const FREQUENCY = z.enum(['Daily', 'Weekly']);
const inventoryDestination = s3Object({
  bucket: z.string().min(1),
  prefix: z.string().optional(),
  format: FORMATS.optional(),
  accountId: z.string().optional(),
});

/** `inventory:` — a list of inventory configurations. */
export const inventorySchema = z.array(
  s3Object({
    id: z.string().min(1).max(64),
    isEnabled: z.boolean().optional(),
    enabled: z.boolean().optional(),
    destination: z.preprocess(
      (d) => (typeof d === 'string' ? { bucket: d } : d),
      unwrapping('s3BucketDestination', inventoryDestination),
    ),
    schedule: unwrapping('frequency', FREQUENCY).optional(),
    includedObjectVersions: z.enum(['All', 'Current']).optional(),
    optionalFields: z.array(z.enum(INVENTORY_OPTIONAL_FIELDS)).optional(),
    prefix: prefixSchema.optional(),
    filter: s3Object({ prefix: prefixSchema }).optional(),
  }),
);

const deleteMarkerSchema = unwrapping('status', statusSchema).transform((s) => s === 'Enabled');

/** `replication:` — `{ role?, rules: [...] }` (S3's JSON is accepted too). */
export const replicationSchema = s3Object({
  role: z.string().optional(),
  rules: z
    .array(
      s3Object({
        id: z.string().min(1).max(255),
        status: statusSchema.default('Enabled'),
        priority: z.number().int().nonnegative().optional(),
        prefix: prefixSchema.optional(),
        filter: s3Object({
          prefix: prefixSchema.optional(),
          tag: tagSchema.optional(),
          and: s3Object({
            prefix: prefixSchema.optional(),
            tags: tagListSchema.optional(),
          }).optional(),
        }).optional(),
        destination: s3Object({
          bucket: z.string().min(1),
          store: z.string().min(1).optional(),
          storageClass: z.enum(REPLICA_STORAGE_CLASSES).optional(),
          account: z.string().optional(),
        }),
        deleteMarkerReplication: deleteMarkerSchema.optional(),
      }),
    )
    .min(1),
});

/** `tags:` — a map, or S3's `{ TagSet: [...] }`. */
export const bucketTagsSchema = unwrapping('tagSet', tagListSchema);
