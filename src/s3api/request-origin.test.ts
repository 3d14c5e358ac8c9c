import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { recordRequestOrigin, requestOrigin, trustedProxies } from './request-origin.js';

/** A request as node:http hands it over: headers and the socket's address and TLS state. */
function request(
  peer: string,
  headers: Record<string, string> = {},
  tls?: string,
): IncomingMessage {
  const socket = tls
    ? { remoteAddress: peer, encrypted: true, getProtocol: () => tls }
    : { remoteAddress: peer };
  return { headers, socket } as unknown as IncomingMessage;
}

const PROXIES = trustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

function originOf(req: IncomingMessage, proxies = PROXIES) {
  recordRequestOrigin(req, proxies);
  return requestOrigin(req);
}

describe('requestOrigin', () => {
  it('without trusted proxies is the socket: forwarding headers are ignored', () => {
    const req = request('::ffff:127.0.0.1', {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
    });
    recordRequestOrigin(req);
    expect(requestOrigin(req)).toEqual({ clientIp: '127.0.0.1', secure: false });
    expect(requestOrigin(request('192.0.2.1', {}, 'TLSv1.3'))).toEqual({
      clientIp: '192.0.2.1',
      secure: true,
      tlsVersion: '1.3',
    });
  });

  it('from a peer that is no trusted proxy ignores the headers it sends', () => {
    const req = request('192.0.2.7', {
      'x-forwarded-for': '10.1.1.1',
      'x-forwarded-proto': 'https',
    });
    expect(originOf(req)).toEqual({ clientIp: '192.0.2.7', secure: false });
  });

  it('from a trusted proxy takes the right-most address that is not a trusted proxy', () => {
    // The client wrote the first entry itself; the proxy appended what it saw.
    const spoofed = request('::ffff:127.0.0.1', {
      'x-forwarded-for': '198.51.100.1, 203.0.113.9',
      'x-forwarded-proto': 'https',
    });
    expect(originOf(spoofed)).toEqual({
      clientIp: '203.0.113.9',
      secure: true,
      proxy: '127.0.0.1',
    });
    // Through two trusted proxies (10.x in front of the local one).
    const chained = request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9, 10.2.3.4' });
    expect(originOf(chained).clientIp).toBe('203.0.113.9');
    // Every hop a trusted proxy: the left-most.
    expect(originOf(request('127.0.0.1', { 'x-forwarded-for': '10.0.0.5' })).clientIp).toBe(
      '10.0.0.5',
    );
    // IPv6 and IPv4-mapped entries.
    expect(
      originOf(request('fd00::1', { 'x-forwarded-for': '2001:db8::7, ::ffff:10.9.9.9' })).clientIp,
    ).toBe('2001:db8::7');
  });

  it('reads entries with a port or brackets; one that is no address is the client, never the proxy', () => {
    const clientOf = (xff: string): string | undefined =>
      originOf(request('127.0.0.1', { 'x-forwarded-for': xff })).clientIp;
    expect(clientOf('203.0.113.9:5678')).toBe('203.0.113.9');
    expect(clientOf('[2001:db8::1]:5678')).toBe('2001:db8::1');
    expect(clientOf('[2001:db8::1]')).toBe('2001:db8::1');
    expect(clientOf('198.51.100.1, 203.0.113.9:443, 10.0.0.1:80')).toBe('203.0.113.9');
    // No address a policy's IpAddress could match: not the trusted proxy's own.
    expect(clientOf('203.0.113.9, unknown')).toBe('unknown');
    expect(clientOf('_hidden')).toBe('_hidden');
  });

  it('X-Forwarded-Proto decides TLS (the last value, any case); without it the proxy connection does', () => {
    expect(originOf(request('127.0.0.1', { 'x-forwarded-proto': 'http, HTTPS' })).secure).toBe(
      true,
    );
    // A proxy that appends leaves the client's claim in front of its own.
    expect(originOf(request('127.0.0.1', { 'x-forwarded-proto': 'https, http' })).secure).toBe(
      false,
    );
    expect(originOf(request('127.0.0.1', { 'x-forwarded-proto': 'http' }, 'TLSv1.3')).secure).toBe(
      false,
    );
    const over = originOf(request('127.0.0.1', {}, 'TLSv1.2'));
    // The client's TLS version is not known through a proxy.
    expect(over).toEqual({ clientIp: '127.0.0.1', secure: true, proxy: '127.0.0.1' });
  });

  it('a request made from another (a form upload) has its origin', () => {
    const req = request('127.0.0.1', {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
    });
    recordRequestOrigin(req, PROXIES);
    const derived = Object.create(req, { headers: { value: {} } }) as IncomingMessage;
    expect(requestOrigin(derived)).toEqual({
      clientIp: '203.0.113.9',
      secure: true,
      proxy: '127.0.0.1',
    });
  });
});
