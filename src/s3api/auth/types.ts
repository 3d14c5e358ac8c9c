/** The data types of SigV4 authentication: what goes in, what comes out. */

/**
 * Request headers as `node:http` gives them: lowercased names; values decoded as latin1
 * (one char per byte on the wire). `headersDistinct` (arrays) is also accepted and is the
 * exact form for repeated headers, which AWS joins with `,` where node joins with `, `.
 */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** The parts of an HTTP request that SigV4 signs, exactly as received. */
export interface AuthRequest {
  /** HTTP method, e.g. `GET`. */
  method: string;
  /** The path exactly as received: percent-encoded, without the query. */
  rawPath: string;
  /** The query string exactly as received, without the leading `?`. */
  rawQuery: string;
  /** The request headers, see {@link HeaderMap}. */
  headers: HeaderMap;
}

/** What the server knows about one access key. */
export interface Credential {
  secretAccessKey: string;
  /** The ARN of the IAM user holding a named key; absent for the root key. */
  userArn?: string;
}

/** Finds the secret for an access key id; `undefined` when the key does not exist. */
export type CredentialLookup = (accessKeyId: string) => Credential | undefined;

/** How to authenticate. */
export interface AuthOptions {
  /** The region this server answers for; `undefined` accepts any region in the scope. */
  region?: string;
  /** The service name in the credential scope; S3 only. */
  service?: 's3';
  /** Largest accepted clock difference; S3 allows 15 minutes. */
  maxSkewMs?: number;
}

/**
 * What the payload hash of the canonical request (`x-amz-content-sha256`) says about the
 * body, and so how the body must be read and verified.
 */
export type PayloadMode =
  | { type: 'unsigned' }
  | { type: 'sha256'; hex: string }
  | { type: 'streaming-signed' }
  | { type: 'streaming-signed-trailer' }
  | { type: 'streaming-unsigned-trailer' };

/** The streaming payload modes, whose body is `aws-chunked`. */
export type StreamingMode = Extract<PayloadMode['type'], `streaming-${string}`>;

/**
 * What chunk and trailer signatures of a streaming body are computed from. Holds the
 * derived signing key (valid for one day, one region, one service), never the secret.
 */
export interface SigningContext {
  signingKey: Buffer;
  /** `yyyymmdd/region/s3/aws4_request`. */
  scope: string;
  /** The request time, `yyyymmddThhmmssZ`. */
  amzDate: string;
  /** The request's own signature; the first chunk signature chains from it. */
  seedSignature: string;
}

/** The outcome of a successful authentication. Failures throw a StowageError. */
export type AuthResult =
  | { kind: 'anonymous' }
  | {
      kind: 'signed';
      accessKeyId: string;
      via: 'header' | 'query';
      payload: PayloadMode;
      signingContext: SigningContext;
      /** The ARN of the IAM user holding the key (Credential.userArn); absent for root. */
      userArn?: string;
    };
