/** Writing S3 responses: XML documents, errors, and the headers every response carries. */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { batchOf, recyclerOf } from '../engine/blobs/read-buffers.js';
import { ERROR_TABLE, toStowageError, type StowageError } from '../errors.js';
import { addAuthErrorFields } from './auth/error-fields.js';
import { toXml, type XmlObject } from './xml/build.js';
import { httpDate } from './dates.js';
import { afterDeclaration, answeredEarly } from './long-answer.js';

/** Sends an XML document with status `status`. */
export function sendXml(
  res: ServerResponse,
  status: number,
  root: string,
  body: XmlObject | string,
): void {
  const xml = toXml(root, body);
  if (answeredEarly(res)) {
    res.end(afterDeclaration(xml));
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(xml));
  res.end(xml);
}

/** Sends an empty response. */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.statusCode = status;
  if (status !== 204 && status !== 304) res.setHeader('Content-Length', 0);
  res.end();
}

function isCorsHeader(name: string): boolean {
  return name === 'vary' || name.startsWith('access-control-');
}

/** The S3 status of an error (NotModified is a 304 without a body). */
export function statusOf(err: StowageError): number {
  return ERROR_TABLE[err.code].httpStatus;
}

/**
 * Bytes an object body may queue in the response before it waits for the socket. Node's
 * socket stops at 16 KiB, less than one 64 KiB segment of an encrypted body, so a pipe
 * would send every segment in a write of its own; queueing up to 1 MiB lets the segments
 * decrypted in one tick leave in one writev (a 1 GiB GET to curl: 17,672 writes before).
 * An engine stream reading in small batches (stream-memory.ts) queues one batch: what a
 * client that stops reading leaves queued is what the engine's read budget counts on.
 */
const QUEUE_BYTES = 1024 * 1024;

/** The code sendBody rejects with when the client closes before the body is sent. */
export const CLIENT_CLOSED = 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * Streams an object body into the response. Resolves when the response has finished;
 * rejects if the body fails (before the headers went out, the caller can still answer
 * with an S3 error) or the client goes away (the body is destroyed, releasing its blobs).
 * Unlike stream.pipeline this makes no AbortController per call: on this VM that
 * and the AbortError it raises at the end cost more than serving a 4 KiB GET from memory.
 * A chunk of an engine stream goes back to it (read-buffers.ts) once the socket has it.
 */
export function sendBody(body: Readable, res: ServerResponse): Promise<void> {
  const recycle = recyclerOf(body);
  const batch = batchOf(body);
  return new Promise((resolve, reject) => {
    let settled = false;
    let corked = false;
    let waiting = false;
    const uncork = (): void => {
      corked = false;
      res.uncork();
    };
    const resume = (): void => {
      waiting = false;
      body.resume();
    };
    const onData = (chunk: Buffer): void => {
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(uncork);
      }
      const sent =
        recycle === undefined
          ? res.write(chunk)
          : res.write(chunk, (err) => {
              if (!err) recycle(chunk);
            });
      const queue = batch === undefined ? QUEUE_BYTES : Math.min(QUEUE_BYTES, batch());
      if (!sent && res.writableLength >= queue && !waiting) {
        waiting = true;
        body.pause();
        res.once('drain', resume);
      }
    };
    const onEnd = (): void => {
      res.end();
    };
    const done = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      res.off('drain', resume);
      if (err === undefined) {
        resolve();
        return;
      }
      body.destroy();
      reject(err);
    };
    body.once('error', done);
    res.once('error', done);
    res.once('finish', () => done());
    res.once('close', () => {
      if (!res.writableFinished) {
        done(
          Object.assign(new Error('the client closed the connection before the body was sent'), {
            code: CLIENT_CLOSED,
          }),
        );
      }
    });
    body.on('data', onData);
    body.once('end', onEnd);
  });
}

/** Headers an error answer keeps (x-amz-bucket-region: a refused HeadBucket, front.ts). */
const KEPT_ON_ERRORS = new Set(['x-amz-request-id', 'x-amz-id-2', 'x-amz-bucket-region']);

/**
 * Sends an S3 error document. A HEAD response, a 304, and an error after the headers
 * went out carry no body (in the last case the connection is cut so the client sees a
 * truncated body, never a corrupt one that looks whole).
 */
export function sendError(
  res: ServerResponse,
  thrown: unknown,
  context: { requestId: string; resource: string; method: string },
): StowageError {
  const err = toStowageError(thrown);
  if (answeredEarly(res)) {
    // A long answer is a 200 already: the error is its document (long-answer.ts).
    if (!res.writableEnded)
      res.end(afterDeclaration(errorDocument(err, context.requestId, context.resource)));
    return err;
  }
  if (res.headersSent) {
    res.destroy(err);
    return err;
  }
  const status = statusOf(err);
  res.statusCode = status;
  // CORS headers stay on errors, as in S3, so a browser script can read the error.
  for (const h of res.getHeaderNames())
    if (!KEPT_ON_ERRORS.has(h) && !isCorsHeader(h)) res.removeHeader(h);
  if (err.details.deleteMarker === true) res.setHeader('x-amz-delete-marker', 'true');
  // A 416 names the object's size, as S3 and RFC 9110 do, for a client to ask again.
  if (err.code === 'E_INVALID_RANGE' && typeof err.details.objectSize === 'number') {
    res.setHeader('Content-Range', `bytes */${err.details.objectSize}`);
  }
  if (typeof err.details.versionId === 'string' && err.details.deleteMarker === true) {
    res.setHeader('x-amz-version-id', err.details.versionId);
  }
  if (status === 405 && err.details.deleteMarker === true) {
    res.setHeader('Allow', 'DELETE');
    if (typeof err.details.lastModified === 'string')
      res.setHeader('Last-Modified', httpDate(new Date(err.details.lastModified)));
  }
  if (status === 304) {
    const { etag, lastModified } = err.details;
    if (typeof etag === 'string') res.setHeader('ETag', etag);
    if (typeof lastModified === 'string')
      res.setHeader('Last-Modified', httpDate(new Date(lastModified)));
    const { cacheControl, expires } = err.details;
    if (typeof cacheControl === 'string') res.setHeader('Cache-Control', cacheControl);
    if (typeof expires === 'string') res.setHeader('Expires', expires);
  }
  if (context.method === 'HEAD' || status === 304) {
    // S3 names the type of the error document a HEAD leaves out; a 304 is no error.
    if (status !== 304) res.setHeader('Content-Type', 'application/xml');
    res.end();
    return err;
  }
  // A 405 names the method refused, as S3's does.
  const method = status === 405 ? context.method : undefined;
  const xml = errorDocument(err, context.requestId, context.resource, method);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(xml));
  res.end(xml);
  return err;
}

/**
 * Error details that S3 writes as elements of its error document, by the element's name.
 * Only the errors that carry such a detail set it: the header a 412 or 409 failed on
 * (`condition`), the part a GET asked for, the header a request lacked.
 */
const DETAIL_ELEMENTS: Readonly<Record<string, string>> = {
  bucket: 'BucketName',
  key: 'Key',
  versionId: 'VersionId',
  uploadId: 'UploadId',
  partNumber: 'PartNumber',
  eTag: 'ETag',
  method: 'Method',
  resourceType: 'ResourceType',
  header: 'Header',
  condition: 'Condition',
  missingHeaderName: 'MissingHeaderName',
  partNumberRequested: 'PartNumberRequested',
  actualPartCount: 'ActualPartCount',
  clientComputedContentSHA256: 'ClientComputedContentSHA256',
  s3ComputedContentSHA256: 'S3ComputedContentSHA256',
  calculatedDigest: 'CalculatedDigest',
  expectedDigest: 'ExpectedDigest',
  tagKey: 'TagKey',
  tagValue: 'TagValue',
};

/**
 * The S3 error document of an error: code, message (an internal error's never leaks),
 * resource and request id, and the identifying details S3 adds (BucketName, Key …).
 */
export function errorDocument(
  err: StowageError,
  requestId: string,
  resource?: string,
  method?: string,
): string {
  const body: XmlObject = {
    Code: err.s3Code,
    Message:
      // Its message names files of the server (a damaged key file, a blob): the log has it.
      err.httpStatus >= 500 && err.s3Code === 'InternalError'
        ? 'We encountered an internal error. Please try again.'
        : err.message,
    Resource: resource,
    RequestId: requestId,
  };
  for (const [k, v] of Object.entries(err.details)) {
    const element = DETAIL_ELEMENTS[k];
    if (element !== undefined && (typeof v === 'string' || typeof v === 'number')) {
      body[element] = String(v);
    }
  }
  if (method !== undefined && body.Method === undefined) body.Method = method;
  addAuthErrorFields(err, body);
  // S3 names the argument an InvalidArgument is about.
  const { argumentName, argumentValue } = err.details;
  if (err.code === 'E_INVALID_ARGUMENT' && typeof argumentName === 'string') {
    body.ArgumentName = argumentName;
    if (typeof argumentValue === 'string') body.ArgumentValue = argumentValue;
  }
  // S3 names the storage class an archived object is in (InvalidObjectState on a read) and
  // the one a request asked for (InvalidStorageClass).
  if (typeof err.details.storageClass === 'string') {
    if (err.code === 'E_INVALID_OBJECT_STATE') body.StorageClass = err.details.storageClass;
    if (err.code === 'E_INVALID_STORAGE_CLASS')
      body.StorageClassRequested = err.details.storageClass;
  }
  // The sizes S3 names when a body or part is too large or too small, and the limit of a
  // header section.
  const { sizeBytes, minSizeBytes, maxSizeBytes } = err.details;
  if (err.code === 'E_ENTITY_TOO_SMALL' || err.code === 'E_ENTITY_TOO_LARGE') {
    if (typeof sizeBytes === 'number') body.ProposedSize = String(sizeBytes);
    if (typeof minSizeBytes === 'number') body.MinSizeAllowed = String(minSizeBytes);
  }
  if (err.code === 'E_ENTITY_TOO_LARGE' || err.s3Code === 'RequestHeaderSectionTooLarge') {
    if (typeof maxSizeBytes === 'number') body.MaxSizeAllowed = String(maxSizeBytes);
  }
  if (err.code === 'E_INVALID_RANGE') {
    const { rangeRequested, objectSize } = err.details;
    if (typeof rangeRequested === 'string') body.RangeRequested = rangeRequested;
    if (typeof objectSize === 'number') body.ActualObjectSize = String(objectSize);
  }
  return toXml('Error', body, { xmlns: false });
}
