/**
 * A request whose host name is not under `server.virtualHostDomain` is served path-style:
 * its path's first segment is the bucket. A client that addresses buckets by host name
 * under another domain (the JS SDK does by default, `photos.s3.studio.lan` with Stowage
 * left at `localhost`) is then misread: its GET of `/a.png` asks for a bucket `a.png`, and
 * an empty PUT of `/folder/` creates a bucket `folder`. When such a host name starts with
 * the name of an existing bucket, the server says once what to set.
 */
import { isIP } from 'node:net';
import { hostnameOf } from './router.js';

/** How many host names are remembered as already looked at. */
const MAX_HOSTS = 256;

/**
 * A checker that, for each host name met first, returns a hint when it looks like a
 * virtual-hosted request for a domain the server was not told about, else undefined.
 *
 * @example
 * const hintFor = virtualHostHints('localhost', (b) => engineHasBucket(b));
 * hintFor('photos.s3.studio.lan:443'); // 'requests to host "photos.s3.studio.lan" are …'
 */
export function virtualHostHints(
  domain: string | undefined,
  bucketExists: (name: string) => boolean,
): (host: string | undefined) => string | undefined {
  const seen = new Set<string>();
  return (host) => {
    const hostname = hostnameOf(host);
    if (seen.has(hostname)) return undefined;
    if (seen.size >= MAX_HOSTS) seen.clear();
    seen.add(hostname);
    const dot = hostname.indexOf('.');
    if (dot <= 0 || isIP(hostname) !== 0 || hostname.startsWith('[')) return undefined;
    if (domain && (hostname === domain || hostname.endsWith(`.${domain}`))) return undefined;
    const bucket = hostname.slice(0, dot);
    if (!bucketExists(bucket)) return undefined;
    const rest = hostname.slice(dot + 1);
    return (
      `requests to host "${hostname}" are served path-style (the bucket is the first path ` +
      `segment), as "${hostname}" is not under server.virtualHostDomain "${domain ?? ''}"; ` +
      `it starts with the name of bucket "${bucket}": if clients address buckets by host name, ` +
      `set server.virtualHostDomain to "${rest}"`
    );
  };
}
