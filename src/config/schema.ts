/**
 * The schema of `stowage.yaml`: the single source of the config's types and defaults.
 * docs/config.md documents every key; test/docs/config-documented.test.ts keeps them in step.
 */
import { z } from 'zod';
import { REDACTED } from '../log.js';
import { parseIdentityPolicy } from '../s3api/documents/policy.js';
import { parseCidr } from '../s3api/ip-addresses.js';
import { coversEveryAddress } from '../s3api/request-origin.js';
import { bucketsSchema } from '../bucketconfig/schema.js';
import { storesSchema } from './stores.js';

/** Log levels, most verbose first; `silent` turns logging off (pino's names). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A number that may come as a string of decimal digits (an env variable or a flag). No
 * other coercion: a boolean, an empty string or `0x4B00` is a wrong value, not 1 or 0.
 */
function numberFrom<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
    schema,
  );
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

/** A positive whole number of bytes. `int()` also caps it at Number.MAX_SAFE_INTEGER. */
function sizeBytes(defaultBytes: number) {
  return z.number().int().positive().default(defaultBytes);
}

const logSchema = z.strictObject({
  // In any case, as pino, journald and most tools write them (`LOG_LEVEL=WARN`).
  level: z
    .preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(LOG_LEVELS))
    .default('info'),
});

const engineSchema = z
  .strictObject({
    fsync: z.boolean().default(true),
    // S3 rejects non-final multipart parts under 5 MiB with EntityTooSmall.
    minPartSizeBytes: sizeBytes(5 * MIB),
    // S3's largest object is 5 TiB, its largest single PUT 5 GiB.
    maxObjectSizeBytes: sizeBytes(5 * TIB),
    maxPutSizeBytes: sizeBytes(5 * GIB),
    // A data directory on NFS, SMB or FUSE is refused unless this says one server uses it.
    allowNetworkFilesystem: z.boolean().default(false),
  })
  .superRefine((engine, ctx) => {
    // zod runs this even when a field failed; a bad field is already reported on its own.
    const sizes = [engine.minPartSizeBytes, engine.maxPutSizeBytes, engine.maxObjectSizeBytes];
    if (!sizes.every((n) => Number.isSafeInteger(n) && n > 0)) return;
    // A limit that contradicts another would make every large upload fail in a confusing way.
    if (engine.maxPutSizeBytes > engine.maxObjectSizeBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxPutSizeBytes'],
        input: engine.maxPutSizeBytes,
        message: `expected at most engine.maxObjectSizeBytes (${engine.maxObjectSizeBytes})`,
      });
    }
    if (engine.minPartSizeBytes > engine.maxPutSizeBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['minPartSizeBytes'],
        input: engine.minPartSizeBytes,
        message: `expected at most engine.maxPutSizeBytes (${engine.maxPutSizeBytes})`,
      });
    }
  });

/** IAM user-name rules, which key names follow. */
export const ACCESS_KEY_NAME_PATTERN = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

/**
 * What makes two access key names the same name: IAM tells user names apart without case
 * (`LIM` is taken when `lim` exists), so a policy naming one user cannot miss the other.
 */
export function keyNameIdentity(name: string): string {
  return name.toLowerCase();
}

/**
 * A secret access key. `stowage config show` prints every secret as the placeholder, so
 * its output used as a config file would make the placeholder a working secret anyone
 * can guess: refused.
 */
const secretSchema = z
  .string()
  .min(8, 'expected at least 8 characters')
  .max(128)
  .refine((v) => v !== REDACTED, {
    message: `is the placeholder ${REDACTED} that \`stowage config show\` prints instead of a secret: put the real secret here`,
  });

const rootAccessKeyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9]{3,128}$/, 'expected 3 to 128 letters and digits');

/**
 * The root key pair kept in `<dataDir>/credentials.json`, held to the rules of the
 * configured one (server.rootAccessKeyId, server.rootSecretAccessKey).
 */
export const rootCredentialsFileSchema = z.object({
  accessKeyId: rootAccessKeyIdSchema,
  secretAccessKey: secretSchema,
});

/** One validated entry of `server.accessKeys`; `policy` is JSON text. */
interface DeclaredKeyConfig {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  policy?: string;
}

/**
 * One access key declared in `server.accessKeys`. The policy may be JSON text or a mapping;
 * either way it is validated as an IAM identity policy here and becomes JSON text.
 */
const declaredKeySchema = z
  .strictObject({
    name: z
      .string()
      .regex(ACCESS_KEY_NAME_PATTERN, 'expected 1 to 64 characters of A-Z a-z 0-9 + = , . @ _ -'),
    accessKeyId: z.string().regex(/^[A-Za-z0-9]{3,128}$/, 'expected 3 to 128 letters and digits'),
    secretAccessKey: secretSchema,
    policy: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  })
  .transform((key, ctx): DeclaredKeyConfig => {
    if (key.policy === undefined) {
      return { name: key.name, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
    }
    const text = typeof key.policy === 'string' ? key.policy : JSON.stringify(key.policy, null, 2);
    try {
      parseIdentityPolicy(text, { strict: true });
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy'],
        input: key.policy,
        message: `access key "${key.name}": ${(err as Error).message}`,
      });
      return z.NEVER;
    }
    return { ...key, policy: text };
  });

function uniqueDeclaredKeys(
  keys: { name: string; accessKeyId: string }[],
  ctx: z.core.$RefinementCtx,
): void {
  const names = new Map<string, string>();
  const ids = new Set<string>();
  keys.forEach((key, i) => {
    const other = names.get(keyNameIdentity(key.name));
    if (other !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        input: key.name,
        message:
          other === key.name
            ? `another access key is already named "${key.name}"`
            : `another access key is already named "${other}" (names are compared without case, as IAM user names)`,
      });
    }
    if (ids.has(key.accessKeyId)) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'accessKeyId'],
        input: key.accessKeyId,
        message: 'another access key already has this id',
      });
    }
    if (other === undefined) names.set(keyNameIdentity(key.name), key.name);
    ids.add(key.accessKeyId);
  });
}

const serverSchema = z
  .strictObject({
    // Loopback unless told otherwise (PRODUCT.md: secure by default).
    address: z.string().min(1).default('127.0.0.1'),
    // Env values and flags arrive as strings: decimal digits are read as a number (so
    // STOWAGE_PORT=9000 works); anything else — true, "", 0x4B00, 1e4 — is refused.
    port: numberFrom(z.number().int().min(0).max(65535)).default(9000),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, 'expected a region name such as us-east-1')
      .default('us-east-1'),
    // Host suffix for virtual-hosted-style requests (`bucket.localhost:9000`).
    // Host names are case-insensitive: kept lowercase, as incoming Host headers are compared.
    virtualHostDomain: z
      .string()
      .regex(
        /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
        'must be a host name such as s3.studio.lan (no wildcard, port or scheme)',
      )
      .transform((v) => v.toLowerCase())
      .default('localhost'),
    // Seconds a client may send nothing while the server waits for it: a request body is then
    // answered 400 RequestTimeout (S3: ~20 s), a connection that sent no request is closed.
    idleTimeoutSeconds: numberFrom(z.number().positive().max(3600)).default(20),
    // What an object gets when neither the write nor its bucket's default encryption asks
    // for any: SSE-S3, as S3 applies to every new object since 2023, or nothing (stored in
    // the clear, as MinIO and Ceph RGW store it; GetBucketEncryption then answers
    // ServerSideEncryptionConfigurationNotFoundError).
    defaultEncryption: z.enum(['AES256', 'none']).default('AES256'),
    // SQLite's quick_check on meta.db before serving: a damaged database is refused before
    // anything writes to it. It reads the whole file (a 1 GB meta.db: 0.5-1.5 s cached,
    // 15 s from this VM's disk after a reboot); false starts without it.
    checkDatabaseAtStart: z.boolean().default(true),
    // Connections open at once; more are dropped as they come. Each takes a file
    // descriptor, and so do object reads and writes: without a cap a flood of idle
    // connections used them all and every object request got 500 EMFILE. 0: no cap.
    maxConnections: numberFrom(z.number().int().min(0).max(1_000_000)).default(4096),
    // Reverse proxies (IP addresses, CIDR blocks) whose X-Forwarded-For and
    // X-Forwarded-Proto say who the client is and whether it used TLS (s3api/request-origin.ts).
    // A comma-separated string (STOWAGE_TRUSTED_PROXIES) is a list too.
    trustedProxies: z
      .preprocess(
        (v) =>
          typeof v === 'string'
            ? v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : v,
        z.array(
          z.string().superRefine((v, ctx) => {
            if (parseCidr(v) === undefined) {
              ctx.addIssue({
                code: 'custom',
                message: 'expected an IP address or a CIDR block such as 10.0.0.0/8 or ::1',
              });
            } else if (coversEveryAddress(v)) {
              // Trusting every address would let any client say who it is and that it used TLS.
              ctx.addIssue({
                code: 'custom',
                message:
                  'a proxy range may not cover every IPv4 or IPv6 address (/0, ::ffff:0:0/96): name the proxies',
              });
            }
          }),
        ),
      )
      .default([]),
    tls: z
      .strictObject({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
      })
      .optional(),
    // Set both to choose the root credentials instead of the generated ones.
    rootAccessKeyId: rootAccessKeyIdSchema.optional(),
    rootSecretAccessKey: secretSchema.optional(),
    // Access keys beyond root that live in the config file (read-only for `stowage keys`).
    accessKeys: z.array(declaredKeySchema).superRefine(uniqueDeclaredKeys).optional(),
  })
  .superRefine((server, ctx) => {
    // A generated root id (credentials.json) is only known at start-up, where serve checks it.
    server.accessKeys?.forEach((key, i) => {
      if (server.rootAccessKeyId !== undefined && key.accessKeyId === server.rootAccessKeyId) {
        ctx.addIssue({
          code: 'custom',
          path: ['accessKeys', i, 'accessKeyId'],
          input: key.accessKeyId,
          message: `key "${key.name}" uses the root access key id (server.rootAccessKeyId)`,
        });
      }
    });
  });

/**
 * The zod schema of `stowage.yaml`. Objects are strict so that a misspelt key is an error
 * instead of a silently ignored setting. Sections use `prefault({})` so that their own
 * field defaults apply when a section is absent.
 */
export const configSchema = z
  .strictObject({
    dataDir: z.string().min(1).default('./stowage-data'),
    log: logSchema.prefault({}),
    engine: engineSchema.prefault({}),
    server: serverSchema.prefault({}),
    // Named S3 stores for the client and CLI (docs/stores.md).
    stores: storesSchema.optional(),
    defaultStore: z.string().min(1).optional(),
    // Declared bucket configuration (docs/bucketconfig.md).
    buckets: bucketsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    if (
      typeof config.defaultStore === 'string' &&
      // zod runs this even when stores: failed; only a mapping can be looked into.
      !(typeof config.stores === 'object' && config.defaultStore in config.stores)
    ) {
      const known = Object.keys(config.stores ?? {});
      ctx.addIssue({
        code: 'custom',
        path: ['defaultStore'],
        input: config.defaultStore,
        message: known.length
          ? `expected the name of a store in stores: (${known.join(', ')})`
          : 'expected the name of a store, but stores: declares none',
      });
    }
  });

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** What a config file may contain (every key optional). */
export type StowageConfigInput = z.input<typeof configSchema>;

/**
 * The validated, effective configuration. It is deep-frozen, and `dataDir` is absolute.
 */
export type StowageConfig = DeepReadonly<z.output<typeof configSchema>>;

/** Peels off the wrappers (default, prefault, optional, pipe) that hide an object schema. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    const inner = def.innerType ?? def.in;
    if (!inner) return current;
    current = inner;
  }
}

/** The schema at `path` (e.g. `['engine']`), unwrapped, or undefined if there is none. */
function schemaAt(path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let schema: z.core.$ZodType = configSchema;
  for (const segment of path) {
    const obj = unwrap(schema);
    // A list index (`server.accessKeys.0`) steps into the list's element schema.
    if (obj instanceof z.ZodArray && /^\d+$/.test(String(segment))) {
      schema = obj.element as z.core.$ZodType;
      continue;
    }
    // A map's entry (`stores.backups`) steps into its value schema.
    if (obj instanceof z.ZodRecord) {
      schema = obj.valueType as z.core.$ZodType;
      continue;
    }
    if (!(obj instanceof z.ZodObject)) return undefined;
    const child = (obj.shape as Record<string, z.core.$ZodType>)[String(segment)];
    if (!child) return undefined;
    schema = child;
  }
  return unwrap(schema);
}

/** The keys of the object schema at `path` (e.g. `['engine']`), or undefined if it is not an object. */
export function configKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  const obj = schemaAt(path);
  return obj instanceof z.ZodObject ? Object.keys(obj.shape) : undefined;
}

/** Whether the key at `path` holds a list or a map (`server.accessKeys`, `stores`). */
export function isConfigCollectionAt(path: readonly PropertyKey[]): boolean {
  const schema = schemaAt(path);
  return schema instanceof z.ZodArray || schema instanceof z.ZodRecord;
}

/**
 * Every key of the config as a dotted path, sections included, in schema order.
 *
 * @example
 * configKeyPaths(); // ['dataDir', 'log', 'log.level', 'engine', 'engine.fsync', ...]
 */
export function configKeyPaths(): string[] {
  const out: string[] = [];
  const walk = (prefix: string[]): void => {
    for (const key of configKeysAt(prefix) ?? []) {
      const path = [...prefix, key];
      out.push(path.join('.'));
      walk(path);
    }
  };
  walk([]);
  return out;
}
