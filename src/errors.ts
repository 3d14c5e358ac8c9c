/**
 * The one error model of Stowage (STYLE.md "One error model").
 *
 * Every failure that crosses a module boundary is a {@link StowageError} with a stable
 * `code`. One table, {@link ERROR_TABLE}, maps each code to its default message, the CLI
 * exit code, the HTTP status and the S3 error code the server returns. docs/errors.md
 * documents every code; a test keeps the two in step.
 */

/** CLI exit codes. Scripts may rely on these numbers. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  integrity: 5,
  denied: 6,
  resource: 7,
} as const;

/** One row of the error table. */
export interface ErrorSpec {
  /** Default human message; callers usually pass a more specific one. */
  message: string;
  /** Process exit code the CLI uses for this error. */
  exitCode: number;
  /** HTTP status the S3 front end answers with. */
  httpStatus: number;
  /** S3's own error code, as it appears in `<Code>` of an S3 error body. */
  s3Code: string;
  /** Whether repeating the same request may succeed. */
  retryable: boolean;
}

function spec(
  message: string,
  exitCode: number,
  httpStatus: number,
  s3Code: string,
  retryable = false,
): ErrorSpec {
  return { message, exitCode, httpStatus, s3Code, retryable };
}

/** code -> message, exit code, HTTP status, S3 code. The single source of truth. */
export const ERROR_TABLE = {
  E_INTERNAL: spec('Internal error', EXIT.internal, 500, 'InternalError', true),
  E_NOT_IMPLEMENTED: spec('Not implemented', EXIT.usage, 501, 'NotImplemented'),
  E_USAGE: spec('Invalid command line', EXIT.usage, 400, 'InvalidArgument'),
  E_CONFIG_INVALID: spec('Invalid configuration', EXIT.usage, 500, 'InternalError'),
  E_INVALID_ARGUMENT: spec('Invalid argument', EXIT.usage, 400, 'InvalidArgument'),
  E_INVALID_REQUEST: spec('Invalid request', EXIT.usage, 400, 'InvalidRequest'),
  E_MALFORMED_POST_REQUEST: spec(
    'The body of your POST request is not well-formed multipart/form-data.',
    EXIT.usage,
    400,
    'MalformedPOSTRequest',
  ),
  E_ACCESS_DENIED: spec('Access denied', EXIT.denied, 403, 'AccessDenied'),
  E_ACL_NOT_SUPPORTED: spec(
    'The bucket does not allow ACLs',
    EXIT.usage,
    400,
    'AccessControlListNotSupported',
  ),
  E_INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP: spec(
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    EXIT.usage,
    400,
    'InvalidBucketAclWithObjectOwnership',
  ),
  E_CORS_FORBIDDEN: spec(
    'CORSResponse: This CORS request is not allowed',
    EXIT.denied,
    403,
    'AccessForbidden',
  ),
  E_BAD_REQUEST: spec('Bad request', EXIT.usage, 400, 'BadRequest'),
  E_METHOD_NOT_ALLOWED: spec(
    'The specified method is not allowed against this resource',
    EXIT.conflict,
    405,
    'MethodNotAllowed',
  ),

  E_INVALID_ACCESS_KEY_ID: spec(
    'The AWS access key ID you provided does not exist in our records',
    EXIT.denied,
    403,
    'InvalidAccessKeyId',
  ),
  E_NO_SUCH_ACCESS_KEY: spec('The access key does not exist', EXIT.notFound, 404, 'NoSuchEntity'),
  E_ACCESS_KEY_EXISTS: spec(
    'An access key with that name already exists',
    EXIT.conflict,
    409,
    'EntityAlreadyExists',
  ),
  E_ACCESS_KEY_READ_ONLY: spec(
    'The access key is declared in the configuration and cannot be changed here',
    EXIT.conflict,
    409,
    'InvalidRequest',
  ),
  E_SIGNATURE_DOES_NOT_MATCH: spec(
    'The request signature we calculated does not match the signature you provided',
    EXIT.denied,
    403,
    'SignatureDoesNotMatch',
  ),
  E_REQUEST_TIME_TOO_SKEWED: spec(
    'The difference between the request time and the server time is too large',
    EXIT.denied,
    403,
    'RequestTimeTooSkewed',
  ),
  E_AUTHORIZATION_HEADER_MALFORMED: spec(
    'The authorization header is malformed',
    EXIT.usage,
    400,
    'AuthorizationHeaderMalformed',
  ),
  E_AUTHORIZATION_QUERY_MALFORMED: spec(
    'The query-string authentication parameters are not valid',
    EXIT.usage,
    400,
    'AuthorizationQueryParametersError',
  ),
  E_CONTENT_SHA256_MISMATCH: spec(
    "The provided 'x-amz-content-sha256' header does not match what was computed",
    EXIT.integrity,
    400,
    'XAmzContentSHA256Mismatch',
  ),
  E_INVALID_CHUNK_SIZE: spec(
    'A chunk size of the aws-chunked body is not valid',
    EXIT.usage,
    400,
    'InvalidChunkSizeError',
  ),

  E_NO_SUCH_BUCKET: spec('The specified bucket does not exist', EXIT.notFound, 404, 'NoSuchBucket'),
  E_INVALID_BUCKET_NAME: spec(
    'The specified bucket is not valid',
    EXIT.usage,
    400,
    'InvalidBucketName',
  ),
  E_INVALID_LOCATION_CONSTRAINT: spec(
    'The specified location-constraint is not valid',
    EXIT.usage,
    400,
    'InvalidLocationConstraint',
  ),
  E_BUCKET_ALREADY_OWNED_BY_YOU: spec(
    'The bucket already exists and you own it',
    EXIT.conflict,
    409,
    'BucketAlreadyOwnedByYou',
  ),
  E_BUCKET_ALREADY_EXISTS: spec(
    'The bucket name is already taken by another owner',
    EXIT.conflict,
    409,
    'BucketAlreadyExists',
  ),
  E_BUCKET_NOT_EMPTY: spec('The bucket is not empty', EXIT.conflict, 409, 'BucketNotEmpty'),
  E_INVALID_BUCKET_STATE: spec(
    'The request is not valid with the current state of the bucket',
    EXIT.conflict,
    409,
    'InvalidBucketState',
  ),
  E_NO_SUCH_BUCKET_CONFIG: spec(
    'The bucket has no such configuration',
    EXIT.notFound,
    404,
    'NoSuchConfiguration',
  ),
  E_ILLEGAL_VERSIONING_CONFIGURATION: spec(
    'The versioning configuration is not valid',
    EXIT.usage,
    400,
    'IllegalVersioningConfigurationException',
  ),

  E_NO_SUCH_KEY: spec('The specified key does not exist', EXIT.notFound, 404, 'NoSuchKey'),
  E_KEY_TOO_LONG: spec('The key is longer than 1024 bytes', EXIT.usage, 400, 'KeyTooLongError'),
  E_INVALID_KEY: spec('The key is not a valid S3 key', EXIT.usage, 400, 'InvalidArgument'),
  E_NO_SUCH_VERSION: spec(
    'The specified version does not exist',
    EXIT.notFound,
    404,
    'NoSuchVersion',
  ),
  E_METADATA_TOO_LARGE: spec(
    'User metadata is larger than 2 KB',
    EXIT.usage,
    400,
    'MetadataTooLarge',
  ),
  E_INVALID_TAG: spec('The tag set is not valid', EXIT.usage, 400, 'InvalidTag'),
  E_INVALID_STORAGE_CLASS: spec(
    'The storage class is not valid',
    EXIT.usage,
    400,
    'InvalidStorageClass',
  ),
  E_INVALID_OBJECT_STATE: spec(
    'The operation is not valid for the object in its current storage class',
    EXIT.conflict,
    403,
    'InvalidObjectState',
  ),
  E_RESTORE_IN_PROGRESS: spec(
    'A restore is already in progress for this object',
    EXIT.conflict,
    409,
    'RestoreAlreadyInProgress',
  ),

  E_ENTITY_TOO_SMALL: spec(
    'A part other than the last is smaller than the minimum part size',
    EXIT.usage,
    400,
    'EntityTooSmall',
  ),
  E_ENTITY_TOO_LARGE: spec(
    'The object is larger than the maximum allowed size',
    EXIT.usage,
    400,
    'EntityTooLarge',
  ),
  E_MISSING_CONTENT_LENGTH: spec(
    'You must provide the Content-Length HTTP header',
    EXIT.usage,
    411,
    'MissingContentLength',
  ),
  E_MISSING_SECURITY_HEADER: spec(
    'Your request was missing a required header',
    EXIT.usage,
    400,
    'MissingSecurityHeader',
  ),
  E_INCOMPLETE_BODY: spec(
    'The body ended before the declared length',
    EXIT.usage,
    400,
    'IncompleteBody',
  ),
  E_NO_SUCH_UPLOAD: spec(
    'The specified multipart upload does not exist',
    EXIT.notFound,
    404,
    'NoSuchUpload',
  ),
  E_INVALID_PART: spec(
    'One or more parts could not be found or did not match',
    EXIT.usage,
    400,
    'InvalidPart',
  ),
  E_INVALID_PART_ORDER: spec(
    'The list of parts was not in ascending order',
    EXIT.usage,
    400,
    'InvalidPartOrder',
  ),

  E_BAD_DIGEST: spec(
    'The Content-MD5 you specified did not match what was received',
    EXIT.integrity,
    400,
    'BadDigest',
  ),
  E_CHECKSUM_MISMATCH: spec(
    'The checksum you specified did not match the calculated checksum',
    EXIT.integrity,
    400,
    'BadDigest',
  ),
  E_INVALID_DIGEST: spec(
    'The Content-MD5 or checksum value is malformed',
    EXIT.usage,
    400,
    'InvalidDigest',
  ),
  E_DATA_CORRUPT: spec(
    'Stored bytes do not match their recorded checksum',
    EXIT.integrity,
    500,
    'InternalError',
  ),

  E_INVALID_PART_NUMBER: spec(
    'The requested part number is not valid for this object',
    EXIT.usage,
    416,
    'InvalidPartNumber',
  ),
  E_MALFORMED_POLICY: spec('The policy is not valid', EXIT.usage, 400, 'MalformedPolicy'),
  E_INVALID_POLICY_DOCUMENT: spec(
    'The content of the form does not meet the conditions specified in the policy document',
    EXIT.usage,
    400,
    'InvalidPolicyDocument',
  ),
  E_MALFORMED_ACL: spec(
    'The XML you provided did not validate against the AccessControlPolicy schema',
    EXIT.usage,
    400,
    'MalformedACLError',
  ),
  E_INVALID_LOGGING_TARGET: spec(
    'The target bucket for logging does not exist',
    EXIT.usage,
    400,
    'InvalidTargetBucketForLogging',
  ),
  E_INVALID_URI: spec('The request URI could not be parsed', EXIT.usage, 400, 'InvalidURI'),
  E_MALFORMED_TRAILER: spec(
    'The request contained trailing data that was not well-formed',
    EXIT.usage,
    400,
    'MalformedTrailerError',
  ),
  E_MALFORMED_XML: spec(
    'The XML you provided was not well-formed',
    EXIT.usage,
    400,
    'MalformedXML',
  ),
  E_INVALID_RANGE: spec('The requested range is not satisfiable', EXIT.usage, 416, 'InvalidRange'),
  E_PRECONDITION_FAILED: spec(
    'At least one of the preconditions you specified did not hold',
    EXIT.conflict,
    412,
    'PreconditionFailed',
  ),
  E_CONDITIONAL_REQUEST_CONFLICT: spec(
    'A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.',
    EXIT.conflict,
    409,
    'ConditionalRequestConflict',
  ),
  E_NOT_MODIFIED: spec('Not modified', EXIT.ok, 304, 'NotModified'),

  E_STORAGE_FULL: spec(
    'The storage device is full (no space, or no free inodes); nothing was stored',
    EXIT.resource,
    507,
    'InsufficientStorage',
    true,
  ),
  E_TOO_MANY_OPEN_FILES: spec(
    'The server has as many files open as its limit allows (EMFILE); retry',
    EXIT.resource,
    503,
    'SlowDown',
    true,
  ),
  E_DOCUMENT_MEMORY_FULL: spec(
    'The server is receiving as many request documents at once as it holds in memory; retry',
    EXIT.resource,
    503,
    'SlowDown',
    true,
  ),
  E_DATA_DIR_LOCKED: spec(
    'The data directory is in use by another Stowage process',
    EXIT.resource,
    503,
    'ServiceUnavailable',
    true,
  ),
  E_ENGINE_CLOSED: spec('The engine is closed', EXIT.internal, 503, 'ServiceUnavailable', true),
  E_WRITES_STOPPED: spec(
    'Writes are stopped: the metadata log can no longer be made durable',
    EXIT.internal,
    503,
    'ServiceUnavailable',
  ),

  // Client side (src/client/): talking to a store, ours or any other S3.
  E_NO_CREDENTIALS: spec(
    'No credentials were found for the store',
    EXIT.usage,
    500,
    'InternalError',
  ),
  E_REQUEST_TIMEOUT: spec(
    'The connection to the store timed out before the request completed',
    EXIT.resource,
    400,
    'RequestTimeout',
    true,
  ),
  E_STORE_ERROR: spec('The store returned an error', EXIT.internal, 500, 'InternalError'),

  E_MAX_DELETE_EXCEEDED: spec(
    'The sync would delete more objects than --max-delete allows; nothing was deleted',
    EXIT.conflict,
    409,
    'InvalidRequest',
  ),
  E_LOCAL_UNREADABLE: spec(
    'A local file or directory cannot be read',
    EXIT.denied,
    403,
    'AccessDenied',
  ),
  E_SYMLINK_LOOP: spec(
    'Following symbolic links leads in a loop',
    EXIT.usage,
    400,
    'InvalidArgument',
  ),

  E_LOCAL_NOT_FOUND: spec('The local file does not exist', EXIT.notFound, 404, 'InvalidArgument'),
  E_LOCAL_READ_ONLY: spec('The local file system is read-only', EXIT.denied, 403, 'AccessDenied'),
  E_LOCAL_NAME_TOO_LONG: spec(
    'A local file name is longer than the file system allows',
    EXIT.usage,
    400,
    'InvalidArgument',
  ),
  E_LOCAL_CHANGED: spec(
    'A local file changed while it was being uploaded',
    EXIT.conflict,
    409,
    'OperationAborted',
  ),
  E_LOCAL_IN_USE: spec(
    'Another download is writing the same local file',
    EXIT.conflict,
    409,
    'OperationAborted',
  ),
  E_LOCAL_NOT_A_FILE: spec(
    'The local path is not a regular file',
    EXIT.usage,
    400,
    'InvalidArgument',
  ),
  E_SLOW_DOWN: spec(
    'The store kept asking to slow down (SlowDown, 503, 429) after every retry',
    EXIT.resource,
    503,
    'SlowDown',
    true,
  ),
  E_NETWORK: spec(
    'The connection to the store failed',
    EXIT.resource,
    503,
    'ServiceUnavailable',
    true,
  ),
} as const satisfies Record<string, ErrorSpec>;

/** A stable Stowage error code. */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** Safe, secret-free details attached to an error (bucket, key, field, value …). */
export type ErrorDetails = Record<string, unknown>;

/** Options for {@link StowageError}. */
export interface StowageErrorOptions {
  cause?: unknown;
  details?: ErrorDetails;
  /** Override the table's S3 code where S3 is more specific (e.g. NoSuchCORSConfiguration). */
  s3Code?: string;
  retryable?: boolean;
}

/**
 * The base error of Stowage.
 *
 * @example
 * throw new StowageError('E_NO_SUCH_BUCKET', `bucket "${name}" does not exist`, { details: { bucket: name } });
 */
export class StowageError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly retryable: boolean;
  readonly s3Code: string;

  constructor(code: ErrorCode, message?: string, options: StowageErrorOptions = {}) {
    const row: ErrorSpec = ERROR_TABLE[code];
    super(
      message ?? row.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'StowageError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? row.retryable;
    this.s3Code = options.s3Code ?? row.s3Code;
  }

  /** HTTP status for this error. */
  get httpStatus(): number {
    return ERROR_TABLE[this.code].httpStatus;
  }

  /** CLI exit code for this error. */
  get exitCode(): number {
    return ERROR_TABLE[this.code].exitCode;
  }

  /** A JSON-safe view for `--json` output and logs. */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is a StowageError, optionally with the given code. */
export function isStowageError(err: unknown, code?: ErrorCode): err is StowageError {
  return err instanceof StowageError && (code === undefined || err.code === code);
}

/**
 * SQLite's codes for a database file that makes no sense: SQLITE_CORRUPT and its extended
 * forms (SQLITE_CORRUPT_INDEX, _VTAB, _SEQUENCE), and SQLITE_NOTADB.
 */
export function isDamagedDatabaseCode(code: string): boolean {
  return (
    code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')
  );
}

/** Node's file-system error codes that mean "the device is full". */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * Turns any thrown value into a StowageError. File-system "disk full" errors become
 * E_STORAGE_FULL; anything unknown becomes E_INTERNAL with the original as `cause`.
 */
export function toStowageError(err: unknown, context?: string): StowageError {
  if (err instanceof StowageError) return err;
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && FULL_CODES.has(errno)) {
    return new StowageError('E_STORAGE_FULL', undefined, { cause: err });
  }
  if (errno === 'SQLITE_FULL') return new StowageError('E_STORAGE_FULL', undefined, { cause: err });
  if (errno === 'EMFILE' || errno === 'ENFILE') {
    return new StowageError(
      'E_TOO_MANY_OPEN_FILES',
      `${context ? `${context}: ` : ''}too many files are open (${errno}); retry, and raise the open-file limit (ulimit -n) if it recurs`,
      { cause: err },
    );
  }
  const text = err instanceof Error ? err.message : String(err);
  // SQLite read a page that makes no sense: the metadata database is damaged, which no
  // retry mends (the server's readiness turns to "damaged" on it: server/start.ts).
  if (typeof errno === 'string' && isDamagedDatabaseCode(errno)) {
    return new StowageError(
      'E_DATA_CORRUPT',
      `${context ? `${context}: ` : ''}the metadata database is damaged (${text})`,
      { cause: err, details: { database: true } },
    );
  }
  return new StowageError('E_INTERNAL', context ? `${context}: ${text}` : text, { cause: err });
}

/**
 * Whether `err` is a request body that ended because its client went away or the read was
 * aborted (a reset connection, a premature close): an incomplete body, never a fault here.
 */
export function isBodyAbort(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  return (
    name === 'AbortError' ||
    code === 'ABORT_ERR' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ECONNRESET'
  );
}
