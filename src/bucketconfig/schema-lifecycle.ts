/**
 * The declaration of lifecycle rules: S3's `LifecycleRule` in camelCase or PascalCase, plus
 * shortcuts: `prefix:` instead of a filter, `after: 30d` (or `days: 30d`) in a transition,
 * and a bare day count for `expiration`, `noncurrentVersionExpiration` and
 * `abortIncompleteMultipartUpload`.
 */
import { z } from 'zod';
import {
  daysSchema,
  filterSchema,
  positiveDaysSchema,
  prefixSchema,
  s3Object,
  scalarAs,
  statusSchema,
  unwrapping,
} from './schema-helpers.js';
import { TRANSITION_STORAGE_CLASSES } from '../storage-classes.js';

/** Storage classes a lifecycle transition may move objects to, warmest first. */
export const TRANSITION_CLASSES = TRANSITION_STORAGE_CLASSES;

const storageClassSchema = z.enum(TRANSITION_CLASSES);

function oneOf(fields: string[], obj: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const given = fields.filter((f) => obj[f] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      input: obj,
      message: `expected exactly one of ${fields.join(', ')}${given.length ? ` (got ${given.join(', ')})` : ''}`,
    });
  }
}

const transitionSchema = s3Object({
  days: daysSchema.optional(),
  after: daysSchema.optional(),
  date: z.union([z.string(), z.date()]).optional(),
  storageClass: storageClassSchema,
}).superRefine((t, ctx) => oneOf(['days', 'after', 'date'], t, ctx));

const noncurrentTransitionSchema = s3Object({
  noncurrentDays: daysSchema.optional(),
  days: daysSchema.optional(),
  after: daysSchema.optional(),
  storageClass: storageClassSchema,
  newerNoncurrentVersions: z.number().int().positive().optional(),
}).superRefine((t, ctx) => oneOf(['noncurrentDays', 'days', 'after'], t, ctx));

const expirationSchema = scalarAs(
  'days',
  s3Object({
    days: positiveDaysSchema.optional(),
    after: positiveDaysSchema.optional(),
    date: z.union([z.string(), z.date()]).optional(),
    expiredObjectDeleteMarker: z.boolean().optional(),
  }).superRefine((e, ctx) => {
    const given = ['days', 'after', 'date', 'expiredObjectDeleteMarker'].filter(
      (f) => (e as Record<string, unknown>)[f] !== undefined,
    );
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        input: e,
        message: 'expected exactly one of days, after, date, expiredObjectDeleteMarker',
      });
    }
  }),
);

const noncurrentExpirationSchema = scalarAs(
  'noncurrentDays',
  s3Object({
    noncurrentDays: positiveDaysSchema.optional(),
    days: positiveDaysSchema.optional(),
    after: positiveDaysSchema.optional(),
    newerNoncurrentVersions: z.number().int().positive().optional(),
  }).superRefine((e, ctx) => oneOf(['noncurrentDays', 'days', 'after'], e, ctx)),
);

const abortSchema = scalarAs(
  'daysAfterInitiation',
  s3Object({
    daysAfterInitiation: positiveDaysSchema.optional(),
    days: positiveDaysSchema.optional(),
    after: positiveDaysSchema.optional(),
  }).superRefine((e, ctx) => oneOf(['daysAfterInitiation', 'days', 'after'], e, ctx)),
);

/** One declared lifecycle rule. */
export const lifecycleRuleSchema = s3Object({
  id: z.string().min(1).max(255),
  status: statusSchema.default('Enabled'),
  prefix: prefixSchema.optional(),
  filter: filterSchema.optional(),
  transitions: z.array(transitionSchema).optional(),
  expiration: expirationSchema.optional(),
  noncurrentVersionTransitions: z.array(noncurrentTransitionSchema).optional(),
  noncurrentVersionExpiration: noncurrentExpirationSchema.optional(),
  abortIncompleteMultipartUpload: abortSchema.optional(),
}).superRefine((rule, ctx) => {
  if (rule.prefix !== undefined && rule.filter !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['prefix'],
      input: rule.prefix,
      message: 'expected prefix or filter, not both (put the prefix inside filter)',
    });
  }
});

/** `lifecycle:` — a list of rules, or S3's `{ Rules: [...] }`. */
export const lifecycleSchema = unwrapping('rules', z.array(lifecycleRuleSchema));

/** The parsed form of one lifecycle rule. */
export type LifecycleRuleDeclaration = z.output<typeof lifecycleRuleSchema>;
