/** The target of an HTTP request line. */

/**
 * The request target in origin form. A client talking through a forward proxy may send the
 * absolute form (`GET http://bucket.host:9000/key HTTP/1.1`), which servers must accept
 * (RFC 9112 §3.2.2): the scheme and authority are dropped, the Host header names the host.
 */
export function originForm(target: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (!m) return target;
  const rest = target.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
