/**
 * Presigned GET and PUT URLs (SigV4 query authentication), valid for 1 s to 7 days as S3
 * allows.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StowageError } from '../../errors.js';
import { call, type StoreSession } from './session.js';

/** SigV4's longest validity: 7 days. */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604_800;
/** aws-cli's default validity: one hour. */
export const DEFAULT_PRESIGN_EXPIRES_SECONDS = 3600;

/** The methods a presigned URL can be made for. */
export const PRESIGN_METHODS = ['GET', 'PUT'] as const;
export type PresignMethod = (typeof PRESIGN_METHODS)[number];

/** What {@link presignUrl} signs. */
export interface PresignOptions {
  bucket: string;
  key: string;
  /** Default GET. */
  method?: PresignMethod;
  /** 1..604800; default {@link DEFAULT_PRESIGN_EXPIRES_SECONDS}. */
  expiresInSeconds?: number;
  /** PUT only: the Content-Type the uploader must send (it is signed). */
  contentType?: string;
}

/**
 * Signs a URL that lets anyone holding it GET or PUT one object until it expires. Signing
 * is local: no request reaches the store, so a missing key is only found when the URL is used.
 *
 * @throws StowageError `E_USAGE` for an expiry outside 1..604800 s, an empty key or a bad method.
 * @example
 * const url = await presignUrl(session, { bucket: 'assets', key: 'a.png', expiresInSeconds: 600 });
 * await fetch(url);
 */
export async function presignUrl(session: StoreSession, options: PresignOptions): Promise<string> {
  const { bucket, key } = options;
  const method = options.method ?? 'GET';
  const expiresIn = options.expiresInSeconds ?? DEFAULT_PRESIGN_EXPIRES_SECONDS;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_EXPIRES_SECONDS) {
    throw new StowageError(
      'E_USAGE',
      `invalid expiry ${String(expiresIn)}: expected whole seconds from 1 to ${MAX_PRESIGN_EXPIRES_SECONDS} (7 days)`,
      { details: { expiresIn } },
    );
  }
  if (!(PRESIGN_METHODS as readonly string[]).includes(method)) {
    throw new StowageError('E_USAGE', `invalid method "${method}": expected GET or PUT`);
  }
  if (key === '' || key.endsWith('/')) {
    throw new StowageError(
      'E_USAGE',
      `presign needs an object URL such as s3://${bucket}/path/file, got s3://${bucket}/${key}`,
      { details: { bucket, key } },
    );
  }
  const command =
    method === 'PUT'
      ? withoutChecksums(
          new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: options.contentType }),
        )
      : new GetObjectCommand({ Bucket: bucket, Key: key });
  // The presigner signs only `host` unless told: a Content-Type left out of the signature
  // would let the uploader send any other (aws-sdk-js-v3#3497).
  const signableHeaders = options.contentType ? new Set(['content-type']) : undefined;
  return call(session, { bucket, key }, () =>
    getSignedUrl(session.s3, command, {
      expiresIn,
      ...(signableHeaders ? { signableHeaders } : {}),
    }),
  );
}

/**
 * With `requestChecksumCalculation: WHEN_SUPPORTED` (the SDK's default) a PutObject gets a
 * CRC32 of its body, and a command being presigned has no body: the URL would carry
 * `x-amz-checksum-crc32=AAAAAA==` (the CRC32 of nothing), which S3 ignores but MinIO, R2
 * and SeaweedFS check, refusing every non-empty upload through it. So no checksum is
 * signed into a URL: this runs in the build step after the SDK's checksum middleware.
 */
function withoutChecksums(command: PutObjectCommand): PutObjectCommand {
  command.middlewareStack.add(
    (next) => (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      for (const name of Object.keys(headers)) {
        if (/^x-amz-(checksum-|sdk-checksum-algorithm$)/i.test(name)) delete headers[name];
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'stowageDropPresignChecksums' },
  );
  return command;
}
