/**
 * The `marketplace` preset: seed 004's LocalEx storage ("AWS S3 Storage Operational Guide")
 * as one commented stowage.yaml: items/ and profiles/, temp files expiring after 24 hours,
 * Glacier after 365 days, versioning, replication to a backup bucket and access logs.
 */
import type { Preset } from './types.js';

const yaml = `# stowage.yaml: the LocalEx marketplace's storage (seed 004, "AWS S3 Storage Operational
# Guide"). Replace ACCOUNT_ID before applying to AWS, then run \`stowage validate\`,
# \`stowage plan\` and \`stowage apply\`.

# Where the buckets live. Without stores:, stowage talks to the default store (the
# embedded server of \`stowage serve\`, or AWS from the environment). Uncomment to name them:
# stores:
#   aws:
#     region: us-east-1
#   local:
#     endpoint: http://127.0.0.1:9000
#     forcePathStyle: true
# defaultStore: aws

buckets:
  # The marketplace's photos: items/<id>/ and profiles/<id>/ (Performance Optimization,
  # "CDN Optimization"), served through CloudFront.
  localex-storage:
    region: us-east-1
    # Backup & Recovery, "Backup Strategy" 1: versioning, so a deleted or overwritten photo
    # can be restored ("Recovery Procedures").
    versioning: Enabled
    # Maintenance, "Monthly Tasks" 2: encryption settings are verified monthly; SSE-S3.
    encryption: { sse: AES256 }
    # Photos reach users through CloudFront, never straight from the bucket.
    publicAccessBlock: true
    # Cost Management, "Cost Optimization Strategies" 1.
    lifecycle:
      # "Delete temp files after 24 hours" (with versioning, the old versions go too).
      - id: TempFilesCleanup
        prefix: temp/
        expiration: 24h
        noncurrentVersionExpiration: 1d
      # "Move old files to Glacier after 365 days".
      - id: ItemsToGlacier
        prefix: items/
        transitions:
          - { after: 365d, storageClass: GLACIER }
      - id: ProfilesToGlacier
        prefix: profiles/
        transitions:
          - { after: 365d, storageClass: GLACIER }
      # Upload Optimization 1: multipart uploads (files over 5 MB) that never completed.
      - id: AbortIncompleteUploads
        abortIncompleteMultipartUpload: 7d
    # Cost Optimization Strategies 2 names the configuration intelligent-tiering-1 but not
    # its tiering-config.json; an example (ARCHIVE_ACCESS 90-730 days):
    # intelligentTiering:
    #   - id: intelligent-tiering-1
    #     tierings: { ARCHIVE_ACCESS: 180d }
    # Security Operations, "Access Auditing": the access logs read by the audit.
    logging: { targetBucket: localex-storage-logs }
    # Backup & Recovery, "Backup Strategy" 2-3: cross-region replication of the critical
    # files, items/ and profiles/, to the backup bucket. The role is needed by AWS only.
    replication:
      role: arn:aws:iam::ACCOUNT_ID:role/s3-replication-role
      rules:
        - id: ItemsToBackup
          prefix: items/
          destination: { bucket: localex-backup }
        - id: ProfilesToBackup
          prefix: profiles/
          destination: { bucket: localex-backup }
    prefixes: [items/, profiles/, temp/]

  # Backup Strategy 3 and "Restore from Backup": the replica, in a second region (the seed
  # does not name it; us-west-2 here). Versioned, as replication needs.
  localex-backup:
    region: us-west-2
    versioning: Enabled
    publicAccessBlock: true

  # Access Auditing: \`aws s3 sync s3://localex-storage-logs/ ./access-logs/\`.
  localex-storage-logs:
    region: us-east-1
    publicAccessBlock: true
`;

/** Seed 004's LocalEx storage, backup and logs buckets. */
export const marketplacePreset: Preset = {
  name: 'marketplace',
  description:
    'seed 004: LocalEx storage (items/, profiles/, temp files expiring after 24 hours, Glacier after 365 days), replicated to a backup bucket',
  yaml,
};
