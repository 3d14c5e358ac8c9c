/**
 * The `creative-pipeline` preset: seed 003's creative-assets bucket ("S3 Storage Integration
 * Guide" of the Creative Automation Pipeline) as one commented stowage.yaml: its folder
 * structure, the S3_ENABLE_VERSIONING / S3_ENABLE_ENCRYPTION settings, the HTTPS-only bucket
 * policy and the lifecycle of its Best Practices.
 */
import type { Preset } from './types.js';

const yaml = `# stowage.yaml: the Creative Automation Pipeline's asset bucket (seed 003, "S3 Storage
# Integration Guide"). Rename the bucket to your S3_BUCKET_NAME, then run
# \`stowage validate\`, \`stowage plan\` and \`stowage apply\`.

# Where the bucket lives. Without stores:, stowage talks to the default store (the
# embedded server of \`stowage serve\`, or AWS from the environment). Uncomment to name it:
# stores:
#   aws:
#     region: us-east-1        # S3_REGION
#   local:
#     endpoint: http://127.0.0.1:9000
#     forcePathStyle: true
# defaultStore: aws

buckets:
  # Setup §3-4: S3_BUCKET_NAME=your-creative-assets-bucket, S3_REGION=us-east-1.
  your-creative-assets-bucket:
    region: us-east-1
    # Setup §3 and Security Best Practices 3: S3_ENABLE_VERSIONING=true keeps every
    # version of a product shot or composite.
    versioning: Enabled
    # Setup §3 and Security Best Practices 1: S3_ENABLE_ENCRYPTION=true (SSE-S3).
    encryption: { sse: AES256 }
    # Security Best Practices 4: the bucket policy that refuses requests not made over
    # HTTPS (expands to the statement "StowageDenyInsecureTransport").
    denyInsecureTransport: true
    # Access is through IAM (Setup §5) and presigned URLs (Performance Optimization 2), so
    # nothing in the bucket is public.
    publicAccessBlock: true
    # Cost Optimization 1: setup_lifecycle_policy(transition_days=90, expiration_days=365,
    # archive_storage_class="GLACIER"). It is applied to the rendered composites only:
    # products/ and backgrounds/ are the pipeline's source assets and are kept.
    # (Cost Optimization 2, S3_STORAGE_CLASS=INTELLIGENT_TIERING, is a storage class given
    # at upload time, not a bucket setting.)
    lifecycle:
      - id: CompositesArchival
        prefix: creative-assets/composites/
        transitions:
          - { after: 90d, storageClass: GLACIER }
        expiration: 365d
      # Parallel uploads (S3_MAX_PARALLEL_UPLOADS) leave incomplete multipart uploads behind
      # when they fail; they are billed until aborted.
      - id: AbortIncompleteUploads
        abortIncompleteMultipartUpload: 7d
    # Architecture, "S3 Folder Structure": the semantic layout under creative-assets/
    # ({category}/{product-slug}/... folders are created by the uploads themselves).
    prefixes:
      - creative-assets/products/transparent/
      - creative-assets/products/original/
      - creative-assets/backgrounds/scene/
      - creative-assets/backgrounds/gradient/
      - creative-assets/backgrounds/solid/
      - creative-assets/composites/
      - creative-assets/metadata/
`;

/** Seed 003's creative-assets bucket. */
export const creativePipelinePreset: Preset = {
  name: 'creative-pipeline',
  description:
    'seed 003: the creative-assets bucket (products/, backgrounds/, composites/, metadata/), versioned, encrypted, HTTPS-only, composites archived',
  yaml,
};
