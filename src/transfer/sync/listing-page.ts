/**
 * A fast reader for ListObjectsV2 response bodies. The SDK's generic XML and schema
 * deserializer costs about 15 ms per 1,000 keys in a fresh process, which was the largest
 * part of a `stowage sync` that finds nothing to do (10,000 keys: 0.35 s of listing, of
 * which this reader saves about 0.15 s). The request still goes through the SDK (signing,
 * retries, redirects, error responses); only a 200 body that has the plain shape every S3
 * implementation writes is read here. Anything else (another root, attributes, CDATA,
 * counts that do not add up) is left to the SDK, so a surprise costs speed, never keys.
 */
import { Readable } from 'node:stream';
import type { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { decodeXmlText } from '../../client/http-text.js';

/** One object of a page. */
export interface ListingEntry {
  key: string;
  sizeBytes: number;
  lastModified: Date;
  /** As the store sent it, quotes included. */
  etag?: string;
  storageClass?: string;
}

/** What a listing needs from one ListObjectsV2 page. */
export interface ListingPage {
  entries: ListingEntry[];
  isTruncated: boolean;
  nextContinuationToken?: string;
  encodingType?: string;
}

/**
 * The text of the first `<name>…</name>` in xml[from, to): undefined when absent, '' for
 * `<name/>`, and null when the element is there in a form this reader does not handle.
 */
function childText(xml: string, name: string, from: number, to: number): string | undefined | null {
  const open = xml.indexOf(`<${name}>`, from);
  if (open === -1 || open >= to) {
    const empty = xml.indexOf(`<${name}/>`, from);
    return empty === -1 || empty >= to ? undefined : '';
  }
  const start = open + name.length + 2;
  const close = xml.indexOf(`</${name}>`, start);
  if (close === -1 || close > to) return null;
  const text = xml.slice(start, close);
  return text.includes('<') ? null : decodeXmlText(text);
}

function entryOf(xml: string, from: number, to: number): ListingEntry | undefined {
  const key = childText(xml, 'Key', from, to);
  const size = childText(xml, 'Size', from, to);
  const modified = childText(xml, 'LastModified', from, to);
  const etag = childText(xml, 'ETag', from, to);
  const storageClass = childText(xml, 'StorageClass', from, to);
  if (typeof key !== 'string' || !size || !modified || etag === null || storageClass === null) {
    return undefined;
  }
  const sizeBytes = Number(size);
  const lastModified = new Date(modified);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0 || Number.isNaN(lastModified.getTime())) {
    return undefined;
  }
  return {
    key,
    sizeBytes,
    lastModified,
    ...(etag ? { etag } : {}),
    ...(storageClass ? { storageClass } : {}),
  };
}

/**
 * Reads a ListObjectsV2 body, or returns undefined when it is not in the plain form (the
 * caller then lets the SDK read it).
 *
 * @example
 * parseListingPage('<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>' +
 *   '<LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>3</Size></Contents></ListBucketResult>');
 * // → { entries: [{ key: 'a', sizeBytes: 3, lastModified: … }], isTruncated: false }
 */
export function parseListingPage(xml: string): ListingPage | undefined {
  const root = xml.indexOf('<ListBucketResult');
  if (root === -1 || xml.includes('<![CDATA[') || /<\/?[A-Za-z]+:/.test(xml)) return undefined;
  const entries: ListingEntry[] = [];
  let at = root;
  let firstOpen = xml.length;
  let lastClose = root;
  for (;;) {
    const open = xml.indexOf('<Contents', at);
    if (open === -1) break;
    if (xml[open + 9] !== '>') return undefined;
    firstOpen = Math.min(firstOpen, open);
    const close = xml.indexOf('</Contents>', open);
    if (close === -1) return undefined;
    const entry = entryOf(xml, open + 10, close);
    if (!entry) return undefined;
    entries.push(entry);
    at = lastClose = close + 11;
  }
  // Top-level elements come before or after the Contents blocks (AWS writes some on each
  // side); they are searched only there, so no child of an entry can be mistaken for one.
  const top = (name: string) => {
    const before = childText(xml, name, root, firstOpen);
    return before === undefined ? childText(xml, name, lastClose, xml.length) : before;
  };
  const truncated = top('IsTruncated');
  const token = top('NextContinuationToken');
  const encodingType = top('EncodingType');
  const keyCount = top('KeyCount');
  if (truncated === null || token === null || encodingType === null || keyCount === null) {
    return undefined;
  }
  if (truncated !== 'true' && truncated !== 'false') return undefined;
  if (keyCount !== undefined && Number(keyCount) < entries.length) return undefined;
  return {
    entries,
    isTruncated: truncated === 'true',
    ...(token ? { nextContinuationToken: token } : {}),
    ...(encodingType ? { encodingType } : {}),
  };
}

const EMPTY_RESULT = '<ListBucketResult></ListBucketResult>';

/**
 * Makes `command` read its own 200 body with {@link parseListingPage}. Returns a function
 * that gives the page after `client.send(command)` has resolved, or undefined when the SDK
 * read the body instead (then use the command's output).
 */
export function readListingFast(command: ListObjectsV2Command): () => ListingPage | undefined {
  let page: ListingPage | undefined;
  type Middleware = Parameters<typeof command.middlewareStack.addRelativeTo>[0];
  type Next = (args: unknown) => Promise<{ response: unknown }>;
  const middleware = (next: Next) => async (args: unknown) => {
    page = undefined;
    const result = await next(args);
    const response = result.response as { statusCode?: number; body?: unknown };
    if (response.statusCode !== 200 || !(response.body instanceof Readable)) return result;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    page = parseListingPage(body.toString('utf8'));
    // The SDK reads what is left: nothing when this reader understood the page.
    response.body = Readable.from([page ? Buffer.from(EMPTY_RESULT) : body]);
    return result;
  };
  command.middlewareStack.addRelativeTo(middleware as unknown as Middleware, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'stowageFastListing',
    override: true,
  });
  return () => page;
}
