/**
 * The single-document sub-resources with simple shapes: versioning, public access block,
 * default encryption, access logging and bucket tags.
 */
import {
  DeleteBucketEncryptionCommand,
  DeleteBucketTaggingCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketLoggingCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLoggingStatus,
  type PublicAccessBlockConfiguration,
  type ServerSideEncryptionConfiguration,
  type Tag,
  type VersioningConfiguration,
} from '@aws-sdk/client-s3';
import { liveCall, mustCall } from './calls.js';
import { canonicalJson, sortBy, type SubResource } from './contract.js';

const SSE_S3_DEFAULT: ServerSideEncryptionConfiguration = {
  Rules: [
    { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
  ],
};

/** `{ Status: 'Enabled' | 'Suspended' }`; a never-versioned bucket reads as undefined. */
export const versioning: SubResource<VersioningConfiguration> = {
  name: 'versioning',
  async read(session, bucket) {
    const out = await liveCall(session, 'versioning', bucket, () =>
      session.s3.send(new GetBucketVersioningCommand({ Bucket: bucket })),
    );
    if (!out?.Status) return undefined;
    return versioning.normalize({ Status: out.Status, MFADelete: out.MFADelete });
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'versioning', bucket, () =>
      session.s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: desired }),
      ),
    );
  },
  async remove(session, bucket) {
    // S3 cannot turn versioning off, only suspend it; a never-versioned bucket stays so.
    if ((await versioning.read(session, bucket)) === undefined) return;
    await versioning.write(session, bucket, { Status: 'Suspended' });
  },
  normalize(v) {
    return v.MFADelete === 'Enabled'
      ? { Status: v.Status, MFADelete: 'Enabled' }
      : { Status: v.Status };
  },
};

/** The four flags; an absent flag is false. */
export const publicAccessBlock: SubResource<PublicAccessBlockConfiguration> = {
  name: 'publicAccessBlock',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'publicAccessBlock',
      bucket,
      () => session.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
      { read: true },
    );
    const doc =
      out?.PublicAccessBlockConfiguration &&
      publicAccessBlock.normalize(out.PublicAccessBlockConfiguration);
    // RGW answers a bucket without a block with four false flags: the same as none.
    return doc && Object.values(doc).some(Boolean) ? doc : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'publicAccessBlock', bucket, () =>
      session.s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: desired,
        }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'publicAccessBlock', bucket, () =>
      session.s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return {
      BlockPublicAcls: v.BlockPublicAcls === true,
      IgnorePublicAcls: v.IgnorePublicAcls === true,
      BlockPublicPolicy: v.BlockPublicPolicy === true,
      RestrictPublicBuckets: v.RestrictPublicBuckets === true,
    };
  },
};

/**
 * The read of a store that encrypts nothing by default: Ceph RGW answers
 * `ServerSideEncryptionConfigurationNotFoundError` for a bucket never configured. It is
 * unset (no remove to show), but unlike AWS's and the embedded store's SSE-S3 default it
 * does not give what `encryption: { sse: AES256 }` asks for, so a plan writes that.
 */
export const NO_DEFAULT_ENCRYPTION: ServerSideEncryptionConfiguration = { Rules: [] };

/** Default encryption rules; BucketKeyEnabled absent = false. */
export const encryption: SubResource<ServerSideEncryptionConfiguration> = {
  name: 'encryption',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'encryption',
      bucket,
      () => session.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      { read: true },
    );
    if (out === undefined) return { Rules: [] };
    const doc = out.ServerSideEncryptionConfiguration;
    if (!doc?.Rules?.length) return { Rules: [] };
    const canonical = encryption.normalize(doc);
    // AWS (since 2023) and the embedded store answer every bucket with SSE-S3: the default.
    return canonicalJson(canonical) === canonicalJson(SSE_S3_DEFAULT) ? undefined : canonical;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'encryption', bucket, () =>
      session.s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: desired,
        }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'encryption', bucket, () =>
      session.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return {
      Rules: (v.Rules ?? []).map((r) => ({
        ApplyServerSideEncryptionByDefault: r.ApplyServerSideEncryptionByDefault && {
          SSEAlgorithm: r.ApplyServerSideEncryptionByDefault.SSEAlgorithm,
          KMSMasterKeyID: r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID || undefined,
        },
        BucketKeyEnabled: r.BucketKeyEnabled === true,
      })),
    };
  },
};

/** `{ LoggingEnabled: { TargetBucket, TargetPrefix } }`; logging off reads as undefined. */
export const logging: SubResource<BucketLoggingStatus> = {
  name: 'logging',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'logging',
      bucket,
      () => session.s3.send(new GetBucketLoggingCommand({ Bucket: bucket })),
      { read: true },
    );
    return out?.LoggingEnabled
      ? logging.normalize({ LoggingEnabled: out.LoggingEnabled })
      : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'logging', bucket, () =>
      session.s3.send(
        new PutBucketLoggingCommand({ Bucket: bucket, BucketLoggingStatus: desired }),
      ),
    );
  },
  async remove(session, bucket) {
    await logging.write(session, bucket, {});
  },
  normalize(v) {
    const le = v.LoggingEnabled;
    if (!le) return {};
    return {
      LoggingEnabled: {
        TargetBucket: le.TargetBucket,
        TargetPrefix: le.TargetPrefix ?? '',
        TargetGrants: le.TargetGrants?.length ? le.TargetGrants : undefined,
        TargetObjectKeyFormat: le.TargetObjectKeyFormat,
      },
    };
  },
};

/** The bucket's tag set, sorted by key; no tags reads as undefined. */
export const tags: SubResource<Tag[]> = {
  name: 'tags',
  async read(session, bucket) {
    const out = await liveCall(
      session,
      'tags',
      bucket,
      () => session.s3.send(new GetBucketTaggingCommand({ Bucket: bucket })),
      { read: true },
    );
    return out?.TagSet?.length ? tags.normalize(out.TagSet) : undefined;
  },
  async write(session, bucket, desired) {
    await mustCall(session, 'tags', bucket, () =>
      session.s3.send(
        new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: desired } }),
      ),
    );
  },
  async remove(session, bucket) {
    await mustCall(session, 'tags', bucket, () =>
      session.s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket })),
    );
  },
  normalize(v) {
    return sortBy(v, (t) => t.Key ?? '').map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
  },
};
