/**
 * IP addresses and networks, as policies (`IpAddress`, `aws:SourceIp`) and
 * `server.trustedProxies` name them: one reading of a CIDR block and one membership test
 * for both.
 */
import { BlockList, isIP } from 'node:net';

/** `ip` without the `::ffff:` of an IPv4-mapped IPv6 address (how node:http shows IPv4 peers). */
export function plainIp(ip: string): string;
export function plainIp(ip: string | undefined): string | undefined;
export function plainIp(ip: string | undefined): string | undefined {
  return ip?.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** An IPv4 or IPv6 network (a bare address is a /32 or /128), or undefined if none. */
export function parseCidr(
  text: string,
): { net: string; prefix: number; family: 4 | 6 } | undefined {
  const [net = '', prefixText, ...rest] = text.trim().split('/');
  const family = isIP(net);
  if (family === 0 || rest.length > 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? '0') || prefix > max) return undefined;
  return { net, prefix, family: family as 4 | 6 };
}

/**
 * The set of addresses in `cidrs` (what does not parse as a network adds nothing).
 *
 * @example
 * inAddressSet(addressSet(['127.0.0.1', '10.0.0.0/8']), '10.1.2.3'); // true
 */
export function addressSet(cidrs: readonly string[]): BlockList {
  const set = new BlockList();
  for (const text of cidrs) {
    const net = parseCidr(text);
    if (net) set.addSubnet(net.net, net.prefix, net.family === 4 ? 'ipv4' : 'ipv6');
  }
  return set;
}

/** Whether `ip` (IPv4, IPv6 or IPv4-mapped) is in `set`; false for what is no address. */
export function inAddressSet(set: BlockList, ip: string): boolean {
  const addr = plainIp(ip.trim());
  const family = isIP(addr);
  return family !== 0 && set.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}
