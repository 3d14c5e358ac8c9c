/**
 * Where a request came from: the client's address and whether it reached us over TLS, for
 * the policy keys aws:SourceIp, aws:SecureTransport and s3:TlsVersion, SSE-C's rule that
 * keys travel only over TLS, and the scheme of the URLs answers name.
 *
 * Behind a reverse proxy that terminates TLS (nginx, Caddy, HAProxy), the connection is
 * the proxy's, in plain HTTP. When the peer is one of `server.trustedProxies`, the proxy's
 * `X-Forwarded-For` and `X-Forwarded-Proto` say what the client did, as Ceph RGW
 * (rgw_remote_addr_param, rgw_trust_forwarded_https) and Express ("trust proxy") read
 * them. The client is the right-most address of `X-Forwarded-For` (with the peer last) that
 * is not itself a trusted proxy: entries to its left are whatever the client wrote; TLS is
 * the last `X-Forwarded-Proto` value. From
 * any other peer, or without the setting, the headers are ignored: a client cannot make
 * itself someone else by sending them.
 */
import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { commaList } from '../header-value.js';
import { addressSet, inAddressSet, plainIp } from './ip-addresses.js';

/** What a request's connection says about its client. */
export interface RequestOrigin {
  /** The client's address (`::ffff:` stripped from IPv4-mapped ones). */
  clientIp: string | undefined;
  /** Whether the client's connection used TLS (to us, or to a trusted proxy). */
  secure: boolean;
  /** `1.2`, `1.3`: the TLS version of a connection to us; unknown through a proxy. */
  tlsVersion?: string;
  /** The trusted proxy the request came through (the peer), when it came through one. */
  proxy?: string;
}

/** The addresses whose forwarding headers are believed. */
export type TrustedProxies = BlockList;

const ORIGIN = Symbol('stowage.requestOrigin');

type WithOrigin = IncomingMessage & { [ORIGIN]?: RequestOrigin };

/**
 * Whether the range `cidr` takes in every IPv4 or every IPv6 address (`0.0.0.0/0`, `::/0`,
 * `::ffff:0:0/96`, which node:net also matches against plain IPv4 peers): trusting it
 * would believe every client's forwarding headers.
 */
export function coversEveryAddress(cidr: string): boolean {
  const set = addressSet([cidr]);
  return (
    (set.check('0.0.0.0', 'ipv4') && set.check('255.255.255.255', 'ipv4')) ||
    (set.check('::', 'ipv6') && set.check('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6'))
  );
}

/**
 * The set of `server.trustedProxies` (IP addresses and CIDR blocks, already validated).
 *
 * @example
 * const proxies = trustedProxies(['127.0.0.1', '10.0.0.0/8']);
 */
export const trustedProxies: (cidrs: readonly string[]) => TrustedProxies = addressSet;

/**
 * An X-Forwarded-For entry as an address: bare, or with a port (`192.0.2.7:5678`,
 * `[2001:db8::1]:5678`, `[2001:db8::1]`, as some proxies write them); undefined for
 * anything else (`unknown`, an obfuscated name).
 */
function forwardedAddress(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  const ip = plainIp(bracketed?.[1] ?? withPort?.[1] ?? entry);
  return ip !== undefined && isIP(ip) !== 0 ? ip : undefined;
}

/** The origin of a request straight from its socket. */
function direct(req: IncomingMessage): RequestOrigin {
  const socket = req.socket as Partial<TLSSocket>;
  const secure = socket.encrypted === true;
  const origin: RequestOrigin = { clientIp: plainIp(req.socket.remoteAddress), secure };
  const protocol = secure && typeof socket.getProtocol === 'function' ? socket.getProtocol() : null;
  const version = protocol ? /(\d+(?:\.\d+)?)$/.exec(protocol)?.[1] : undefined;
  if (version) origin.tlsVersion = version;
  return origin;
}

/**
 * Works out and records where `req` came from: its socket, or what a trusted proxy among
 * `proxies` forwarded. Runs once, as the request arrives.
 */
export function recordRequestOrigin(req: IncomingMessage, proxies?: TrustedProxies): void {
  // Without trusted proxies the socket says it all, when asked (requestOrigin).
  if (!proxies) return;
  const own = direct(req);
  const peer = own.clientIp;
  let origin = own;
  if (peer !== undefined && inAddressSet(proxies, peer)) {
    const hops = [...commaList(req.headers['x-forwarded-for']), peer];
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      const ip = forwardedAddress(hop);
      // An entry that is no address (`unknown`) is the client as the proxies saw it: no
      // IpAddress test matches it. Falling back to a trusted proxy's own address instead
      // would let every client pass for the proxy.
      client = ip ?? hop;
      if (ip === undefined || !inAddressSet(proxies, ip)) break;
    }
    // The last value: the one the trusted proxy set (one that appends would leave what the
    // client sent in front of it).
    const proto = commaList(req.headers['x-forwarded-proto']).at(-1)?.toLowerCase();
    // Without X-Forwarded-Proto the proxy's own connection decides.
    origin = {
      clientIp: client,
      secure: proto === undefined ? own.secure : proto === 'https',
      proxy: peer,
    };
  }
  (req as WithOrigin)[ORIGIN] = origin;
}

/**
 * Where `req` came from (see recordRequestOrigin); a request built from another (a form
 * upload's) has its origin.
 */
export function requestOrigin(req: IncomingMessage): RequestOrigin {
  const known = (req as WithOrigin)[ORIGIN];
  if (known) return known;
  // Worked out once per request: the policy keys, the SSE-C rule and the access line ask.
  const origin = direct(req);
  (req as WithOrigin)[ORIGIN] = origin;
  return origin;
}
