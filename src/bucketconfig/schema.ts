/**
 * The zod schema of the `buckets:` section of stowage.yaml: bucket name -> declaration.
 * It is part of the top-level config schema (src/config/schema.ts), so it is validated once
 * when the config is loaded; docs/bucketconfig.md documents every field. S3's own rules that
 * span fields (transition order, minimum days, a public policy under a public-access-block)
 * are checked afterwards by validate.ts, which knows bucket, rule and field.
 */
import { z } from 'zod';
import { bucketNameProblem } from '../client/index.js';
import { daysSchema, prefixSchema, s3Object, strictKeys, unwrapping } from './schema-helpers.js';
import { lifecycleSchema } from './schema-lifecycle.js';
import {
  bucketTagsSchema,
  corsSchema,
  encryptionSchema,
  intelligentTieringSchema,
  inventorySchema,
  loggingSchema,
  publicAccessBlockSchema,
  replicationSchema,
} from './schema-resources.js';
import { notificationsSchema } from './schema-notifications.js';

/** Canned ACLs S3 accepts on a bucket. */
export const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'log-delivery-write',
] as const;

/** `Enabled`/`Suspended`, a boolean, or S3's `{ Status }` (MFA delete is not managed). */
const versioningSchema = z.preprocess(
  (v) => (typeof v === 'boolean' ? (v ? 'Enabled' : 'Suspended') : v),
  unwrapping('status', z.enum(['Enabled', 'Suspended'])),
);

/** A bucket policy: a JSON object, or its text (parsed here so that bad JSON fails early). */
const policySchema = z
  .union([z.record(z.string(), z.unknown()), z.string()])
  .transform((policy, ctx) => {
    if (typeof policy !== 'string') return policy;
    try {
      const parsed: unknown = JSON.parse(policy);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // reported below with the same message
    }
    ctx.addIssue({
      code: 'custom',
      input: policy,
      message: 'expected a JSON object (the policy document)',
    });
    return z.NEVER;
  });

/** `true` (object lock without a default retention), or a default retention `{ mode, days }`. */
const objectLockSchema = z.preprocess(
  (v) => (v === true ? {} : v),
  s3Object({
    mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).optional(),
    days: daysSchema.refine((d) => d >= 1, 'expected at least 1 day').optional(),
  }).refine(
    (l) => (l.mode === undefined) === (l.days === undefined),
    'expected both mode and days, or objectLock: true',
  ),
);

/** The declaration of one bucket. */
export const bucketDeclarationSchema = strictKeys({
  store: z.string().min(1).optional(),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'expected a region name such as eu-north-1')
    .optional(),
  versioning: versioningSchema.optional(),
  objectLock: objectLockSchema.optional(),
  objectOwnership: z
    .enum(['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'])
    .optional(),
  acl: z.enum(CANNED_ACLS).optional(),
  policy: policySchema.optional(),
  publicRead: z.array(prefixSchema).optional(),
  denyInsecureTransport: z.boolean().optional(),
  cors: corsSchema.optional(),
  lifecycle: lifecycleSchema.optional(),
  intelligentTiering: intelligentTieringSchema.optional(),
  encryption: encryptionSchema.optional(),
  publicAccessBlock: publicAccessBlockSchema.optional(),
  logging: loggingSchema.optional(),
  inventory: inventorySchema.optional(),
  replication: replicationSchema.optional(),
  tags: bucketTagsSchema.optional(),
  notifications: notificationsSchema.optional(),
  prefixes: z
    .array(
      prefixSchema.refine(
        (p) => p.endsWith('/') && p.length > 1,
        'expected a folder prefix ending in "/"',
      ),
    )
    .optional(),
});

/** `buckets:` — bucket name -> declaration. */
export const bucketsSchema = z
  // A bucket written with no settings (`logs1:` in YAML) is null: declared, nothing managed.
  .record(
    z.string(),
    z.preprocess((v) => v ?? {}, bucketDeclarationSchema),
  )
  .superRefine((buckets, ctx) => {
    for (const name of Object.keys(buckets)) {
      // S3's whole rule set, as the store will apply it: `my..bucket`, `192.168.1.1` and
      // `xn--…` fail here, before a plan or apply has created anything.
      const problem = bucketNameProblem(name);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          input: name,
          message: `"${name}" is not a bucket name: it ${problem}`,
        });
      }
    }
  });

/** One validated bucket declaration (units resolved to days, S3 JSON folded to one form). */
export type BucketDeclaration = z.output<typeof bucketDeclarationSchema>;

/** What a config file may write under `buckets:`. */
export type BucketsInput = z.input<typeof bucketsSchema>;
