/**
 * Names that are also properties of every JavaScript object (`constructor`, `__proto__`,
 * `toString` …) in headers, tag keys, metadata and XML, and XML that is legal but odd
 * (CDATA, deep nesting, stray top-level elements). A lookup in a plain object finds an
 * inherited property for such a name: each case here once gave a 500, refused a legal
 * value, dropped it, or acted on other data. Every answer must be S3's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch } from '../helpers/signed-fetch.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const B = 'proto-names';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  expect((await signedFetch(t, 'PUT', `/${B}`)).status).toBe(200);
});
afterAll(async () => t?.close());

const codeOf = async (r: Response): Promise<string | undefined> =>
  /<Code>([^<]+)<\/Code>/.exec(await r.text())?.[1];

async function expectRefused(r: Response, status: number, code: string): Promise<void> {
  const body = await r.text();
  expect({ status: r.status, code: /<Code>([^<]+)<\/Code>/.exec(body)?.[1] }, body).toEqual({
    status,
    code,
  });
}

const put = (key: string, headers: Record<string, string> = {}, body = 'bytes') =>
  signedFetch(t, 'PUT', `/${B}/${key}`, { body, headers });

const tagsOf = async (key: string): Promise<Array<[string, string]>> => {
  const xml = await (await signedFetch(t, 'GET', `/${B}/${key}?tagging`)).text();
  return [...xml.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)].map((m) => [
    m[1]!,
    m[2]!,
  ]);
};

describe('names of built-in object properties', () => {
  it('as x-amz-content-sha256: InvalidArgument, anonymous or signed, never 500', async () => {
    for (const value of NAMES) {
      const anon = await fetch(new URL(`/${B}/x`, t.url), {
        headers: { 'x-amz-content-sha256': value },
      });
      expect(anon.status, value).toBe(400);
      expect(await codeOf(anon)).toBe('InvalidArgument');
      await expectRefused(
        await put('x', { 'x-amz-content-sha256': value }),
        400,
        'InvalidArgument',
      );
    }
  });

  it('as tag keys, in x-amz-tagging and in PutObjectTagging: stored like any key', async () => {
    const header = NAMES.map((n, i) => `${encodeURIComponent(n)}=v${i}`).join('&');
    expect((await put('tagged', { 'x-amz-tagging': header })).status).toBe(200);
    expect(new Map(await tagsOf('tagged'))).toEqual(new Map(NAMES.map((n, i) => [n, `v${i}`])));
    const body =
      '<Tagging><TagSet>' +
      NAMES.map((n) => `<Tag><Key>${n}</Key><Value>w</Value></Tag>`).join('') +
      '</TagSet></Tagging>';
    const r = await signedFetch(t, 'PUT', `/${B}/tagged?tagging`, { body });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(new Map(await tagsOf('tagged'))).toEqual(new Map(NAMES.map((n) => [n, 'w'])));
  });

  it('as user metadata names: stored and returned', async () => {
    const headers = Object.fromEntries(NAMES.map((n) => [`x-amz-meta-${n.toLowerCase()}`, n]));
    expect((await put('meta', headers)).status).toBe(200);
    const head = await signedFetch(t, 'HEAD', `/${B}/meta`);
    for (const n of NAMES) expect(head.headers.get(`x-amz-meta-${n.toLowerCase()}`), n).toBe(n);
  });

  it('as the value of other enumerated headers: the header is refused, never 500', async () => {
    for (const value of NAMES) {
      for (const header of [
        'x-amz-storage-class',
        'x-amz-acl',
        'x-amz-server-side-encryption',
        'x-amz-checksum-algorithm',
      ]) {
        const r = await put('enum', { [header]: value });
        expect(r.status, `${header}: ${value}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${header}: ${value}`).toBeLessThan(500);
      }
      const copy = await put('copied', {
        'x-amz-copy-source': `/${B}/meta`,
        'x-amz-metadata-directive': value,
      });
      expect(copy.status, `metadata-directive ${value}`).toBe(400);
    }
  });

  it('as XML element names, operators and actions: a 4xx document error, never 500', async () => {
    for (const n of NAMES) {
      const versioning = await signedFetch(t, 'PUT', `/${B}?versioning`, {
        body: `<VersioningConfiguration><${n}/><Status>Suspended</Status></VersioningConfiguration>`,
      });
      expect(versioning.status, n).toBeLessThan(500);
      const policy = (statement: Record<string, unknown>) =>
        signedFetch(t, 'PUT', `/${B}?policy`, {
          body: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:GetObject',
                Resource: `arn:aws:s3:::${B}/*`,
                ...statement,
              },
            ],
          }),
        });
      await expectRefused(await policy({ Action: `s3:${n}` }), 400, 'MalformedPolicy');
      await expectRefused(
        await policy({ Condition: { [n]: { 'aws:SourceIp': '10.0.0.0/8' } } }),
        400,
        'MalformedPolicy',
      );
      const withKey = await policy({ Condition: { StringEquals: { [`aws:${n}`]: 'x' } } });
      expect(withKey.status, n).toBeLessThan(500);
      await signedFetch(t, 'DELETE', `/${B}?policy`);
    }
  });
});

describe('XML that is legal but odd', () => {
  it('a key in CDATA is taken literally by DeleteObjects (no entity decoding inside it)', async () => {
    for (const key of ['a&b', 'a&amp;b', 'A', '&#65;']) {
      expect((await put(encodeURIComponent(key))).status).toBe(200);
    }
    const body =
      '<Delete><Quiet>true</Quiet><Object><Key><![CDATA[a&amp;b]]></Key></Object><Object><Key><![CDATA[&#65;]]></Key></Object></Delete>';
    const r = await signedFetch(t, 'POST', `/${B}?delete`, { body, contentMd5: true });
    expect(r.status, await r.clone().text()).toBe(200);
    const exists = async (key: string) =>
      (await signedFetch(t, 'HEAD', `/${B}/${encodeURIComponent(key)}`)).status;
    expect(await exists('a&amp;b')).toBe(404);
    expect(await exists('&#65;')).toBe(404);
    expect(await exists('a&b')).toBe(200);
    expect(await exists('A')).toBe(200);
  });

  it('nesting deeper than the parser allows is MalformedXML, not 500', async () => {
    const deep = '<a>'.repeat(150) + '</a>'.repeat(150);
    await expectRefused(
      await signedFetch(t, 'PUT', `/${B}/tagged?tagging`, {
        body: `<Tagging><TagSet>${deep}</TagSet></Tagging>`,
      }),
      400,
      'MalformedXML',
    );
  });

  it('a second top-level element, before or after the document, is MalformedXML and nothing is done', async () => {
    expect((await put('kept')).status).toBe(200);
    for (const body of [
      '<Junk/><Delete><Object><Key>kept</Key></Object></Delete>',
      '<Delete><Object><Key>kept</Key></Object></Delete><Junk/>',
    ]) {
      await expectRefused(
        await signedFetch(t, 'POST', `/${B}?delete`, { body, contentMd5: true }),
        400,
        'MalformedXML',
      );
    }
    expect((await signedFetch(t, 'HEAD', `/${B}/kept`)).status).toBe(200);
  });

  it('a PutObjectTagging body that is not a Tagging document is MalformedXML, and the tags stay', async () => {
    expect((await put('keeps-tags', { 'x-amz-tagging': 'team=art' })).status).toBe(200);
    for (const body of [
      '<Tagging/>',
      '<Tagging><Tag><Key>a</Key><Value>b</Value></Tag></Tagging>',
      '<Tagging><TagSet><Tagg><Key>a</Key><Value>b</Value></Tagg></TagSet></Tagging>',
      '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value><Extra/></Tag></TagSet></Tagging>',
      '<Tagging><TagSet></TagSet><TagSet></TagSet></Tagging>',
    ]) {
      await expectRefused(
        await signedFetch(t, 'PUT', `/${B}/keeps-tags?tagging`, { body }),
        400,
        'MalformedXML',
      );
    }
    expect(await tagsOf('keeps-tags')).toEqual([['team', 'art']]);
  });

  it('PutObjectTagging keeps spaces around tag keys and values, as x-amz-tagging does, in any layout', async () => {
    const pretty =
      '<Tagging>\n  <TagSet>\n    <Tag><Key> k </Key><Value> v </Value></Tag>\n  </TagSet>\n</Tagging>';
    const r = await signedFetch(t, 'PUT', `/${B}/keeps-tags?tagging`, { body: pretty });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(await tagsOf('keeps-tags')).toEqual([[' k ', ' v ']]);
    expect((await put('spaced', { 'x-amz-tagging': '%20h=%20hv%20' })).status).toBe(200);
    expect(await tagsOf('spaced')).toEqual([[' h', ' hv ']]);
  });
});
