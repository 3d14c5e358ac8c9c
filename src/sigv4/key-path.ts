/** How S3 clients put an object key into a request path, as SigV4 signs it. */

/**
 * S3's encoding of an object key in a path: SigV4's UriEncode of each `/`-separated
 * segment (everything but `A-Za-z0-9-_.~` as `%XX`), the slashes kept. Undefined for a key
 * that is not well-formed UTF-16 (a lone surrogate has no UTF-8 form).
 */
export function encodeKeyPath(key: string): string | undefined {
  try {
    return key
      .split('/')
      .map((s) =>
        encodeURIComponent(s).replace(
          /[!'()*]/g,
          (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
        ),
      )
      .join('/');
  } catch {
    return undefined;
  }
}
