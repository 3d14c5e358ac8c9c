/** What `stowage init` writes without `--preset`: one commented bucket to start from. */

/** The starter stowage.yaml: one private, versioned, encrypted bucket. */
export const STARTER_YAML = `# stowage.yaml: what every bucket must be. Check it with \`stowage validate\`, see the
# changes with \`stowage plan\`, make them with \`stowage apply\`. Every field is described
# in docs/bucketconfig.md; \`stowage init --preset NAME\` writes a complete example.

# Where the buckets live. Without stores:, stowage talks to the default store (the
# embedded server of \`stowage serve\`, or AWS from the environment). Uncomment to name it:
# stores:
#   local:
#     endpoint: http://127.0.0.1:9000
#     forcePathStyle: true
# defaultStore: local

buckets:
  # One bucket; the name follows S3's rules (3-63 lowercase letters, digits, dots, hyphens).
  my-bucket:
    # region: us-east-1
    # Keep every version of every object (needed for replication).
    versioning: Enabled
    # Encrypt new objects with S3-managed keys (SSE-S3).
    encryption: { sse: AES256 }
    # Nothing in this bucket is public: the four public-access-block flags on.
    publicAccessBlock: true
    # Lifecycle rules; durations are days or 30d, 12w, 2y, 24h.
    lifecycle:
      - id: AbortIncompleteUploads
        abortIncompleteMultipartUpload: 7d
    # Folder placeholders to create.
    prefixes: [uploads/]
    # More: cors, policy, publicRead, intelligentTiering, logging, inventory, replication,
    # tags, notifications.
`;
