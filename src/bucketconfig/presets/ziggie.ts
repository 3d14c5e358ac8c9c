/**
 * The `ziggie` preset: seed 000's Ziggie Cloud buckets (§1-3, §10-12) as one commented
 * stowage.yaml. The declaration matches test/fixtures/bucketconfig/ziggie.yaml, except that
 * the backups bucket also has access logs and a daily inventory (issue 5).
 */
import type { Preset } from './types.js';

const yaml = `# stowage.yaml: Ziggie Cloud's buckets (seed 000, "AWS S3 Integration Guide for Ziggie Cloud").
# Check it with \`stowage validate\`, see the changes with \`stowage plan\`, make them with
# \`stowage apply\`. Replace ACCOUNT_ID and DISTRIBUTION_ID before applying to AWS.

# Where the buckets live. Without stores:, stowage talks to the default store (the
# embedded server of \`stowage serve\`, or AWS from the environment). Uncomment to name them:
# stores:
#   aws-eu:
#     region: eu-north-1
#     profile: ziggie
#   local:
#     endpoint: http://127.0.0.1:9000
#     forcePathStyle: true
# defaultStore: aws-eu

buckets:
  # §1.1-1.4, §2.1: the public assets bucket, read through CloudFront and by the web frontend.
  ziggie-cloud-assets:
    region: eu-north-1
    # §1.3: anyone may read game-assets/ (expands to the statement "StowagePublicRead"),
    # and CloudFront reads everything through its origin access control (§7.2).
    publicRead: [game-assets/]
    policy:
      Version: '2012-10-17'
      Statement:
        - Sid: CloudFrontOriginAccess
          Effect: Allow
          Principal: { Service: cloudfront.amazonaws.com }
          Action: s3:GetObject
          Resource: arn:aws:s3:::ziggie-cloud-assets/*
          Condition:
            StringEquals:
              AWS:SourceArn: arn:aws:cloudfront::ACCOUNT_ID:distribution/DISTRIBUTION_ID
    # §1.4: the web frontend (ziggie.cloud and its subdomains) and local development servers
    # may GET and HEAD objects from the browser.
    cors:
      - id: WebFrontend
        allowedOrigins: [https://ziggie.cloud, https://*.ziggie.cloud, http://localhost:*]
        allowedMethods: [GET, HEAD]
        allowedHeaders: ['*']
        exposeHeaders: [ETag]
        maxAgeSeconds: 3600
    # §2.1: game assets have unknown access patterns, so Intelligent-Tiering archives what
    # nobody reads (ARCHIVE_ACCESS 90-730 days, DEEP_ARCHIVE_ACCESS 180-730 days).
    intelligentTiering:
      - id: GameAssetsTiering
        prefix: game-assets/
        tierings: { ARCHIVE_ACCESS: 90d, DEEP_ARCHIVE_ACCESS: 180d }
    # §10.4: access logs for audit trails, in the logs bucket.
    logging: { targetBucket: ziggie-cloud-logs, targetPrefix: s3-access-logs/assets/ }
    # §11.2: a daily CSV inventory for cost analysis, in the logs bucket.
    inventory:
      - id: DailyInventory
        destination: { bucket: ziggie-cloud-logs, prefix: inventory, format: CSV }
        schedule: Daily
        includedObjectVersions: Current
        optionalFields: [Size, StorageClass, ETag]
    # §1.1: the folder layout.
    prefixes:
      - game-assets/sprites/
      - game-assets/3d-models/
      - game-assets/textures/
      - game-assets/animations/
      - comfyui/generated/
      - comfyui/workflows/
      - shared/

  # §1.1-1.2, §3.1, §10.2-10.3, §12.1: the private backups bucket.
  ziggie-cloud-backups:
    region: eu-north-1
    # §1.2: versioning for disaster recovery (replication below needs it too).
    versioning: Enabled
    # §3.1: backups go colder as they age and are deleted after two years (§3.2 explains
    # the timeline); generated ComfyUI images are kept six months.
    lifecycle:
      - id: BackupArchival
        prefix: n8n/workflows/
        transitions:
          - { after: 30d, storageClass: GLACIER_IR }
          - { after: 90d, storageClass: GLACIER }
          - { after: 1y, storageClass: DEEP_ARCHIVE }
        noncurrentVersionTransitions:
          - { after: 1w, storageClass: GLACIER_IR }
        expiration: 2y
      - id: ComfyUICleanup
        prefix: comfyui/generated/
        transitions:
          - { after: 60d, storageClass: INTELLIGENT_TIERING }
        expiration: 180d
    # §10.2: SSE-S3 with a bucket key. For SSE-KMS write
    # { sse: aws:kms, kmsKeyId: arn:aws:kms:eu-north-1:ACCOUNT_ID:key/KEY_ID }.
    encryption: { sse: AES256, bucketKey: true }
    # §10.3: the four public-access-block flags on.
    publicAccessBlock: true
    # §10.4, applied to the backups too: access logs in the logs bucket.
    logging: { targetBucket: ziggie-cloud-logs, targetPrefix: s3-access-logs/backups/ }
    # §11.2, applied to the backups too: a daily inventory of what is backed up.
    inventory:
      - id: DailyInventory
        destination: { bucket: ziggie-cloud-logs, prefix: inventory, format: CSV }
        schedule: Daily
        optionalFields: [Size, StorageClass, ETag]
    # §12.1: critical/ is replicated to another region, stored there as GLACIER.
    # The role is needed by AWS only; the embedded store ignores it.
    replication:
      role: arn:aws:iam::ACCOUNT_ID:role/s3-replication-role
      rules:
        - id: CriticalToReplica
          prefix: critical/
          destination: { bucket: ziggie-cloud-backups-replica, storageClass: GLACIER }
          deleteMarkerReplication: false
    # §1.1: the folder layout (critical/ holds what §12.1 replicates).
    prefixes:
      - n8n/workflows/
      - n8n/credentials/
      - flowise/chatflows/
      - grafana/dashboards/
      - databases/
      - critical/

  # §10.4: the target of access logs and inventory reports; private.
  ziggie-cloud-logs:
    region: eu-north-1
    publicAccessBlock: true

  # §12.1: the replication destination in a second region; versioned, as replication needs.
  ziggie-cloud-backups-replica:
    region: eu-west-1
    versioning: Enabled
    publicAccessBlock: true
`;

/** Seed 000's public assets, private backups, logs and replica buckets. */
export const ziggiePreset: Preset = {
  name: 'ziggie',
  description:
    "seed 000: Ziggie Cloud's public assets bucket (CDN, CORS, Intelligent-Tiering) and private backups (lifecycle, SSE, logs, inventory, replication)",
  yaml,
};
