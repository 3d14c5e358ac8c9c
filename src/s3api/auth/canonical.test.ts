import { describe, expect, it } from 'vitest';
import {
  buildCanonicalRequest,
  canonicalBytes,
  canonicalQuery,
  canonicalUri,
  parseQuery,
  percentDecode,
  uriEncode,
} from './canonical.js';

describe('uriEncode', () => {
  it('leaves only RFC 3986 unreserved characters, with upper-case hex', () => {
    expect(uriEncode(Buffer.from("AZaz09-_.~ !*'()+/$&=?#%é"))).toBe(
      'AZaz09-_.~%20%21%2A%27%28%29%2B%2F%24%26%3D%3F%23%25%C3%A9',
    );
  });
});

describe('percentDecode', () => {
  it('decodes escapes in either case and keeps a stray % literal', () => {
    expect(percentDecode('%7e%7E%2f%zz%4').toString('latin1')).toBe('~~/%zz%4');
  });
  it('reads + as a space only in query strings', () => {
    expect(percentDecode('a+b').toString()).toBe('a+b');
    expect(percentDecode('a+b', true).toString()).toBe('a b');
  });
  it('takes characters above ASCII as UTF-8', () => {
    expect(percentDecode('é😀').toString('utf8')).toBe('é😀');
  });
});

describe('canonicalUri', () => {
  it('normalises the encoding of each segment the way S3 does', () => {
    expect(canonicalUri('/test$file.text')).toBe('/test%24file.text');
    expect(canonicalUri('/b/%7ekey%2a')).toBe('/b/~key%2A');
    expect(canonicalUri("/b/a!*'()b")).toBe('/b/a%21%2A%27%28%29b');
    expect(canonicalUri('/b/%C3%BC%20x+y')).toBe('/b/%C3%BC%20x%2By');
  });
  it('keeps an encoded slash, empty segments and dot segments', () => {
    expect(canonicalUri('/b/a%2Fb')).toBe('/b/a%2Fb');
    expect(canonicalUri('/b//x/../y/./')).toBe('/b//x/../y/./');
  });
  it('is "/" for an empty path', () => {
    expect(canonicalUri('')).toBe('/');
  });
});

describe('canonicalQuery', () => {
  it('sorts by encoded name then value and signs a missing value as empty', () => {
    const params = parseQuery('prefix=J&max-keys=2&uploads&tag=b&tag=a&a-b=1&a=2');
    expect(canonicalQuery(params)).toBe('a=2&a-b=1&max-keys=2&prefix=J&tag=a&tag=b&uploads=');
  });
  it('re-encodes names and values and skips empty pairs', () => {
    const params = parseQuery('&x=a+b%2Bc&~=%7e&&n%61me=%C3%BC');
    expect(params.map((p) => [p.name, p.value])).toEqual([
      ['x', 'a b+c'],
      ['~', '~'],
      ['name', 'ü'],
    ]);
    expect(canonicalQuery(params)).toBe('name=%C3%BC&x=a%20b%2Bc&~=~');
  });
  it('leaves out what the caller skips', () => {
    const params = parseQuery('a=1&X-Amz-Signature=abc');
    expect(canonicalQuery(params, (p) => p.name === 'X-Amz-Signature')).toBe('a=1');
  });
});

describe('buildCanonicalRequest', () => {
  it('trims header values, collapses inner whitespace and joins repeated values with ","', () => {
    const text = buildCanonicalRequest({
      method: 'GET',
      uri: '/',
      query: '',
      headers: {
        host: 'h',
        'x-amz-meta-a': ['  one  ', 'two   three'],
        'x-amz-meta-b': '\tx \t y ',
      },
      signedHeaders: ['host', 'x-amz-meta-a', 'x-amz-meta-b'],
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(text).toBe(
      'GET\n/\n\nhost:h\nx-amz-meta-a:one,two three\nx-amz-meta-b:x y\n\nhost;x-amz-meta-a;x-amz-meta-b\nUNSIGNED-PAYLOAD',
    );
  });
});

describe('canonicalBytes', () => {
  it('gives back the wire bytes of latin1-decoded header text, and UTF-8 otherwise', () => {
    const wire = Buffer.from('café', 'utf8');
    expect(canonicalBytes(wire.toString('latin1'))).toEqual(wire);
    expect(canonicalBytes('中文')).toEqual(Buffer.from('中文', 'utf8'));
  });
});
