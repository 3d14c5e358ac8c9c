/**
 * The JSON-ish documents: the bucket policy, CORS rules and event notifications.
 */
import {
  DeleteBucketCorsCommand,
  DeleteBucketPolicyCommand,
  GetBucketCorsCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  type CORSConfiguration,
  type NotificationConfiguration,
} from '@aws-sdk/client-s3';
import { StowageError } from '../../errors.js';
import { liveCall, mustCall } from './calls.js';
import { canonicalJson, sortBy, sortedList, type SubResource } from './contract.js';

/** A bucket policy, as parsed JSON. */
export type PolicyDocument = Record<string, unknown>;

const LIST_FIELDS = ['Action', 'NotAction', 'Resource', 'NotResource'];

/** A string or list as a sorted list (IAM treats both the same). */
function asList(v: unknown): unknown {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return [...v].sort();
  return v;
}

/** A principal; `{"AWS": "*"}` is `"*"` (S3 reads the two alike). */
function normalizePrincipal(p: unknown): unknown {
  if (p === '*' || typeof p !== 'object' || p === null) return p;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = asList(v);
  const keys = Object.keys(out);
  if (keys.length === 1 && keys[0] === 'AWS' && canonicalJson(out.AWS) === '["*"]') return '*';
  return out;
}

/** Condition blocks with their keys in lower case: condition keys are case-insensitive. */
function normalizeCondition(c: unknown): unknown {
  if (typeof c !== 'object' || c === null) return c;
  const out: Record<string, unknown> = {};
  for (const [op, block] of Object.entries(c)) {
    const b: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(block as Record<string, unknown>)) {
      b[k.toLowerCase()] = asList(v);
    }
    out[op] = b;
  }
  return out;
}

/** Policy: Version defaults to 2012-10-17; Action/Resource/principal/condition values as sorted lists. */
export const policy: SubResource<PolicyDocument> = {
  name: 'policy',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'policy',
      bucket,
      () => session.s3.send(new GetBucketPolicyCommand({ Bucket: bucket })),
      { read: true },
    );
    if (!out?.Policy) return undefined;
    try {
      return policy.normalize(JSON.parse(out.Policy) as PolicyDocument);
    } catch (cause) {
      throw new StowageError(
        'E_STORE_ERROR',
        `s3://${bucket}: the store returned a bucket policy that is not JSON`,
        {
          cause,
          details: { bucket, subResource: 'policy' },
        },
      );
    }
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'policy', bucket, () =>
      session.s3.send(
        new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(desired) }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'policy', bucket, () =>
      session.s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    const statements = Array.isArray(v.Statement) ? v.Statement : v.Statement ? [v.Statement] : [];
    return {
      ...v,
      Version: v.Version ?? '2012-10-17',
      // Statements in a canonical order: their order means nothing to S3.
      Statement: sortBy(
        statements.map((s: Record<string, unknown>) => {
          const out: Record<string, unknown> = { ...s };
          for (const f of LIST_FIELDS) if (out[f] !== undefined) out[f] = asList(out[f]);
          if (out.Principal !== undefined) out.Principal = normalizePrincipal(out.Principal);
          if (out.NotPrincipal !== undefined)
            out.NotPrincipal = normalizePrincipal(out.NotPrincipal);
          if (out.Condition !== undefined) out.Condition = normalizeCondition(out.Condition);
          return out;
        }),
        (st) => canonicalJson(st),
      ),
    };
  },
};

/** CORS: rule order kept (first match wins); lists inside a rule sorted; empty lists dropped. */
export const cors: SubResource<CORSConfiguration> = {
  name: 'cors',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'cors',
      bucket,
      () => session.s3.send(new GetBucketCorsCommand({ Bucket: bucket })),
      { read: true },
    );
    return out?.CORSRules?.length ? cors.normalize({ CORSRules: out.CORSRules }) : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'cors', bucket, () =>
      session.s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: desired })),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'cors', bucket, () =>
      session.s3.send(new DeleteBucketCorsCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return {
      CORSRules: (v.CORSRules ?? []).map((r) => ({
        ID: r.ID || undefined,
        AllowedMethods: sortedList(r.AllowedMethods?.map((m) => m.toUpperCase())) ?? [],
        AllowedOrigins: sortedList(r.AllowedOrigins) ?? [],
        // Header names are case-insensitive.
        AllowedHeaders: sortedList(r.AllowedHeaders?.map((h) => h.toLowerCase())),
        ExposeHeaders: sortedList(r.ExposeHeaders?.map((h) => h.toLowerCase())),
        MaxAgeSeconds: r.MaxAgeSeconds,
      })),
    };
  },
};

type WithEvents = {
  Id?: string;
  Events?: string[];
  Filter?: { Key?: { FilterRules?: { Name?: string; Value?: string }[] } };
};

function normalizeTargets<T extends WithEvents>(list: T[] | undefined): T[] | undefined {
  if (!list?.length) return undefined;
  return sortBy(list, (c) => c.Id ?? '').map((c) => {
    const rules = c.Filter?.Key?.FilterRules;
    return {
      ...c,
      Events: [...(c.Events ?? [])].sort(),
      Filter: rules?.length
        ? {
            Key: {
              FilterRules: sortBy(rules, (r) => (r.Name ?? '').toLowerCase()).map((r) => ({
                Name: r.Name?.toLowerCase(),
                Value: r.Value,
              })),
            },
          }
        : undefined,
    };
  });
}

/** Event notifications: targets sorted by Id, events sorted, empty lists dropped. */
export const notifications: SubResource<NotificationConfiguration> = {
  name: 'notifications',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'notifications',
      bucket,
      () => session.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })),
      { read: true },
    );
    if (!out) return undefined;
    const doc = notifications.normalize(out);
    const empty =
      !doc.TopicConfigurations &&
      !doc.QueueConfigurations &&
      !doc.LambdaFunctionConfigurations &&
      !doc.EventBridgeConfiguration;
    return empty ? undefined : doc;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'notifications', bucket, () =>
      session.s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: desired,
        }),
      ),
    );
  },
  async remove(session, bucket) {
    await notifications.write(session, bucket, {});
  },
  normalize(v) {
    return {
      TopicConfigurations: normalizeTargets(v.TopicConfigurations),
      QueueConfigurations: normalizeTargets(v.QueueConfigurations),
      LambdaFunctionConfigurations: normalizeTargets(v.LambdaFunctionConfigurations),
      EventBridgeConfiguration: v.EventBridgeConfiguration,
    };
  },
};
