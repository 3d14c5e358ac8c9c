/**
 * The `stores:` section of `stowage.yaml`: named S3 stores (the embedded server, AWS, MinIO,
 * Ceph RGW …) with the per-store settings their quirks need. src/client/ resolves a store
 * from these plus flags, env and ~/.aws (docs/stores.md).
 */
import { z } from 'zod';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** The two checksum policies of the AWS SDKs (`requestChecksumCalculation`). */
export const CHECKSUM_POLICIES = ['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const;

/** One of {@link CHECKSUM_POLICIES}. */
export type ChecksumPolicy = (typeof CHECKSUM_POLICIES)[number];

/** Store names are used on the command line (`--store NAME`), so keep them shell-friendly. */
export const STORE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** S3 part limits: parts other than the last are at least 5 MiB, none is over 5 GiB. */
export const MIN_PART_SIZE_BYTES = 5 * MIB;
export const MAX_PART_SIZE_BYTES = 5 * GIB;

const BANDWIDTH_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: MIB,
  gib: GIB,
};

/**
 * Parses a bandwidth as aws-cli's `max_bandwidth` writes it: bytes per second as a number, or
 * a string such as `50MB/s`, `10MiB/s`, `500KB`. Returns undefined when it does not parse.
 */
export function parseBandwidth(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*(?:\/s)?\s*$/i.exec(value);
  if (!m?.[1]) return undefined;
  const factor = BANDWIDTH_UNITS[(m[2] ?? '').toLowerCase()];
  const bytes = Math.floor(Number(m[1]) * (factor ?? 0));
  return bytes > 0 ? bytes : undefined;
}

const httpUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL such as http://127.0.0.1:9000');

/** One entry of `stores:`. */
export const storeSchema = z
  .strictObject({
    // No endpoint means AWS S3 itself.
    endpoint: httpUrl.optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, 'expected a region name such as us-east-1')
      .optional(),
    // A profile of ~/.aws/config and ~/.aws/credentials.
    profile: z.string().min(1).optional(),
    // Discouraged (use a profile or env); `config show` redacts the secret.
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
    // MinIO, Ceph RGW and the embedded store without wildcard DNS need path-style URLs.
    forcePathStyle: z.boolean().optional(),
    // WHEN_REQUIRED for stores that reject the SDK's default CRC32 trailers.
    checksumPolicy: z.enum(CHECKSUM_POLICIES).optional(),
    maxSockets: z.number().int().min(1).max(1024).optional(),
    // A PEM file of certificates to trust besides Node's own (a self-signed endpoint).
    caBundle: z.string().min(1).optional(),
    partSizeBytes: z.number().int().min(MIN_PART_SIZE_BYTES).max(MAX_PART_SIZE_BYTES).optional(),
    // Requests per second.
    rateLimit: z.number().positive().optional(),
    // Bytes per second, or a string such as `50MB/s`.
    bandwidthLimit: z
      .union([z.number(), z.string()])
      .transform((value, ctx) => {
        const bytes = parseBandwidth(value);
        if (bytes === undefined) {
          ctx.addIssue({
            code: 'custom',
            input: value,
            message: 'expected bytes per second, or a size per second such as 50MB/s or 10MiB/s',
          });
          return z.NEVER;
        }
        return bytes;
      })
      .optional(),
  })
  .superRefine((store, ctx) => {
    if ((store.accessKeyId === undefined) !== (store.secretAccessKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [store.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'],
        input: undefined,
        message: 'accessKeyId and secretAccessKey must be set together',
      });
    }
    if (store.sessionToken !== undefined && store.accessKeyId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sessionToken'],
        input: undefined,
        message: 'sessionToken needs accessKeyId and secretAccessKey',
      });
    }
    if (store.profile !== undefined && store.accessKeyId !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['profile'],
        input: store.profile,
        message: 'set either profile or accessKeyId/secretAccessKey, not both',
      });
    }
  });

/** `stores:`: a map of store name to its settings. */
export const storesSchema = z.record(z.string(), storeSchema).superRefine((stores, ctx) => {
  for (const name of Object.keys(stores)) {
    if (!STORE_NAME_PATTERN.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        input: name,
        message:
          'expected a store name of letters, digits, _ . - (at most 64, not starting with . _ -)',
      });
    }
  }
});

/** The validated settings of one named store. */
export type StoreConfig = z.output<typeof storeSchema>;
