/**
 * The rule lists: lifecycle and replication. Rules are sorted by ID (their order has no
 * meaning to S3); the legacy top-level `Prefix` and `Filter: {}`/`Filter: { Prefix: '' }`
 * are one canonical `Filter`.
 */
import {
  DeleteBucketLifecycleCommand,
  DeleteBucketReplicationCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketReplicationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  type LifecycleRule,
  type LifecycleRuleFilter,
  type ReplicationConfiguration,
  type ReplicationRule,
  type ReplicationRuleFilter,
  type Tag,
} from '@aws-sdk/client-s3';
import { liveCall, mustCall } from './calls.js';
import { sortBy, type SubResource } from './contract.js';

/** What `PutBucketLifecycleConfiguration` takes. */
export interface LifecycleDocument {
  Rules: LifecycleRule[];
}

type AnyFilter = LifecycleRuleFilter & ReplicationRuleFilter;

const sortTags = (t: Tag[] | undefined) => (t ? sortBy(t, (x) => x.Key ?? '') : undefined);

/** One canonical filter: an `And` of only a prefix or only one tag unwrapped, an empty prefix dropped. */
function normalizeFilter(
  filter: AnyFilter | undefined,
  legacyPrefix: string | undefined,
): AnyFilter {
  let f: AnyFilter = { ...(filter ?? {}) };
  if (legacyPrefix) f.Prefix = legacyPrefix;
  // Ceph RGW answers a prefix-and-tag filter as <Filter><Prefix/><Tag/></Filter>, without
  // the <And> it was given: several conditions side by side are their And.
  const sideBySide = [f.Prefix || undefined, f.Tag, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan];
  if (!f.And && sideBySide.filter((v) => v !== undefined).length > 1) {
    const { Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan, ...rest } = f;
    f = {
      ...rest,
      And: {
        ...(Prefix ? { Prefix } : {}),
        ...(Tag ? { Tags: [Tag] } : {}),
        ...(ObjectSizeGreaterThan !== undefined ? { ObjectSizeGreaterThan } : {}),
        ...(ObjectSizeLessThan !== undefined ? { ObjectSizeLessThan } : {}),
      },
    };
  }
  if (f.And) {
    const and = { ...f.And, Tags: sortTags(f.And.Tags) };
    const keys = Object.entries(and)
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k]) => k);
    delete f.And;
    if (keys.length === 1 && keys[0] === 'Prefix') f.Prefix = and.Prefix;
    else if (keys.length === 1 && keys[0] === 'Tags' && and.Tags?.length === 1) f.Tag = and.Tags[0];
    else if (keys.length > 0) f.And = and;
  }
  if (!f.Prefix) delete f.Prefix;
  return f;
}

function normalizeLifecycleRule(r: LifecycleRule): LifecycleRule {
  const out: LifecycleRule = {
    ...r,
    Filter: normalizeFilter(r.Filter as AnyFilter, r.Prefix),
    Prefix: undefined,
    Transitions: r.Transitions?.length
      ? sortBy(r.Transitions, (t) => String(t.Days ?? t.Date?.toISOString()).padStart(10, '0'))
      : undefined,
    NoncurrentVersionTransitions: r.NoncurrentVersionTransitions?.length
      ? sortBy(r.NoncurrentVersionTransitions, (t) =>
          String(t.NoncurrentDays ?? 0).padStart(10, '0'),
        )
      : undefined,
  };
  if (out.Expiration && out.Expiration.ExpiredObjectDeleteMarker === false) {
    const { ExpiredObjectDeleteMarker: _drop, ...rest } = out.Expiration;
    out.Expiration = Object.keys(rest).length ? rest : undefined;
  }
  return out;
}

/** Lifecycle rules, sorted by ID, with canonical filters and sorted transitions. */
export const lifecycle: SubResource<LifecycleDocument> = {
  name: 'lifecycle',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'lifecycle',
      bucket,
      () => session.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
      { read: true },
    );
    return out?.Rules?.length ? lifecycle.normalize({ Rules: out.Rules }) : undefined;
  },
  async write(session, bucket, desired) {
    // S3 wants a Filter or a Prefix on every rule: "the whole bucket" is an empty prefix.
    const Rules = desired.Rules.map((r) =>
      r.Filter || r.Prefix !== undefined ? r : { ...r, Filter: { Prefix: '' } },
    );
    await mustCall(session, 'lifecycle', bucket, () =>
      session.s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules },
        }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'lifecycle', bucket, () =>
      session.s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return { Rules: sortBy(v.Rules ?? [], (r) => r.ID ?? '').map(normalizeLifecycleRule) };
  },
};

function normalizeReplicationRule(r: ReplicationRule): ReplicationRule {
  const legacy = r.Filter === undefined && r.Prefix !== undefined;
  return {
    ...r,
    Prefix: undefined,
    Filter: normalizeFilter(r.Filter as AnyFilter, r.Prefix),
    // The V2 schema (with Filter) defaults Priority to 0 and delete markers to not replicated.
    Priority: r.Priority ?? (legacy ? undefined : 0),
    DeleteMarkerReplication:
      r.DeleteMarkerReplication ?? (legacy ? undefined : { Status: 'Disabled' }),
    Destination: r.Destination && { ...r.Destination },
  };
}

/** Replication: the role and rules sorted by ID, canonical filters, V2 defaults filled in. */
export const replication: SubResource<ReplicationConfiguration> = {
  name: 'replication',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'replication',
      bucket,
      () => session.s3.send(new GetBucketReplicationCommand({ Bucket: bucket })),
      { read: true },
    );
    const doc = out?.ReplicationConfiguration;
    return doc?.Rules?.length ? replication.normalize(doc) : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'replication', bucket, () =>
      session.s3.send(
        new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: desired }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'replication', bucket, () =>
      session.s3.send(new DeleteBucketReplicationCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return {
      Role: v.Role ?? '',
      Rules: sortBy(v.Rules ?? [], (r) => r.ID ?? '').map(normalizeReplicationRule),
    };
  },
};
