/**
 * `notifications:` — event notification targets. A target is a stowage webhook
 * (`url`, written to S3 as a QueueConfiguration with a `arn:stowage:webhook:::URL` ARN, see
 * src/webhook-arn.ts) or any S3 destination by ARN (`queueArn`, `topicArn`,
 * `lambdaFunctionArn`). S3's own NotificationConfiguration JSON is accepted as well.
 */
import { z } from 'zod';
import { prefixSchema, s3Object } from './schema-helpers.js';

/** S3's three destination lists and the target key each ARN goes in. */
export const DESTINATION_LISTS = {
  QueueConfigurations: 'queueArn',
  TopicConfigurations: 'topicArn',
  LambdaFunctionConfigurations: 'lambdaFunctionArn',
} as const;

type FilterRule = { Name?: string; Value?: string };

/** One S3 target configuration as a declaration entry: its filter rules as prefix/suffix. */
function fromS3Target(c: Record<string, unknown>, arnKey: string): Record<string, unknown> {
  const { Filter, Queue, QueueArn, Topic, TopicArn, CloudFunction, LambdaFunctionArn, ...rest } = c;
  const out: Record<string, unknown> = {
    ...rest,
    [arnKey]: QueueArn ?? Queue ?? TopicArn ?? Topic ?? LambdaFunctionArn ?? CloudFunction,
  };
  const rules = (Filter as { Key?: { FilterRules?: FilterRule[] } } | undefined)?.Key?.FilterRules;
  for (const r of rules ?? []) out[String(r.Name).toLowerCase()] = r.Value;
  return out;
}

/** S3's `{ QueueConfigurations: [...], ... }` as one list of declaration entries. */
function flattenS3Document(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: unknown[] = [];
  for (const [list, arnKey] of Object.entries(DESTINATION_LISTS)) {
    const entries = (value as Record<string, unknown>)[list];
    if (Array.isArray(entries))
      for (const c of entries) out.push(fromS3Target(c as Record<string, unknown>, arnKey));
  }
  const unknown = Object.keys(value).filter((k) => !(k in DESTINATION_LISTS));
  return unknown.length ? value : out;
}

const DESTINATION_KEYS = ['url', 'queueArn', 'topicArn', 'lambdaFunctionArn'] as const;

const targetSchema = s3Object({
  id: z.string().min(1).max(255),
  url: z.url({ protocol: /^https?$/ }).optional(),
  queueArn: z.string().startsWith('arn:').optional(),
  topicArn: z.string().startsWith('arn:').optional(),
  lambdaFunctionArn: z.string().startsWith('arn:').optional(),
  events: z
    .array(
      z
        .string()
        .regex(/^s3:[A-Za-z]+(:[A-Za-z*]+)?$/, 'expected an S3 event such as s3:ObjectCreated:*'),
    )
    .min(1),
  prefix: prefixSchema.optional(),
  suffix: z.string().min(1).optional(),
}).refine(
  (t) => DESTINATION_KEYS.filter((k) => t[k] !== undefined).length === 1,
  `expected exactly one destination: ${DESTINATION_KEYS.join(', ')}`,
);

/** `notifications:` — a list of targets, or S3's NotificationConfiguration. */
export const notificationsSchema = z.preprocess(flattenS3Document, z.array(targetSchema));

/** One declared notification target. */
export type NotificationTarget = z.infer<typeof targetSchema>;
