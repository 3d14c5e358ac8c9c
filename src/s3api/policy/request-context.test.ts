import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HANDLERS } from '../handlers/index.js';
import { principalArn, STOWAGE_ACCOUNT_ID, type Identity } from '../identity.js';
import { route, type Operation } from '../router.js';
import { conditionKeys, type Caller } from './request-context.js';
import { requestedAccesses } from './requested-accesses.js';

/** A request as node:http hands it over: headers and the socket's address/TLS state. */
function request(
  headers: Record<string, string> = {},
  socket: { remoteAddress?: string; encrypted?: boolean; getProtocol?: () => string } = {
    remoteAddress: '::ffff:127.0.0.1',
  },
): IncomingMessage {
  return { headers, socket } as unknown as IncomingMessage;
}

function actions(
  method: string,
  path: string,
  query = '',
  headers: Record<string, string> = {},
): Array<[string, string]> {
  const r = route(method, path, query, headers);
  return requestedAccesses(r, headers).map((a) => [a.action, a.resource]);
}

const USER: Identity = {
  accessKeyId: 'AKIAVPSSYNC000000001',
  secretAccessKey: 's',
  name: 'ziggie-vps-sync',
  root: false,
  arn: principalArn('ziggie-vps-sync', false),
  policies: [],
};

describe('requestedAccesses', () => {
  it('maps every operation to at least one s3 action', () => {
    const operations = Object.keys(HANDLERS) as Operation[];
    expect(operations.length).toBeGreaterThan(30);
    for (const operation of operations) {
      if (operation === 'PreflightCors') continue; // unauthenticated by design (front.ts)
      const accesses = requestedAccesses(
        { operation, bucket: 'b', key: 'k', subresource: 'cors', query: new URLSearchParams() },
        { 'x-amz-copy-source': 'src/k' },
      );
      expect(accesses.length, operation).toBeGreaterThan(0);
      for (const a of accesses) expect(a.action, operation).toMatch(/^s3:[A-Za-z]+$/);
    }
  });
  it('maps object reads, writes and deletes, with their version variants', () => {
    expect(actions('GET', '/b/k')).toEqual([['s3:GetObject', 'arn:aws:s3:::b/k']]);
    expect(actions('HEAD', '/b/k')).toEqual([['s3:GetObject', 'arn:aws:s3:::b/k']]);
    expect(actions('GET', '/b/k', 'versionId=v1')).toEqual([
      ['s3:GetObjectVersion', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('PUT', '/b/a/b c')).toEqual([['s3:PutObject', 'arn:aws:s3:::b/a/b c']]);
    expect(actions('POST', '/b/k', 'uploads')).toEqual([['s3:PutObject', 'arn:aws:s3:::b/k']]);
    expect(actions('PUT', '/b/k', 'partNumber=1&uploadId=u')).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('POST', '/b/k', 'uploadId=u')).toEqual([['s3:PutObject', 'arn:aws:s3:::b/k']]);
    expect(actions('DELETE', '/b/k')).toEqual([['s3:DeleteObject', 'arn:aws:s3:::b/k']]);
    expect(actions('DELETE', '/b/k', 'versionId=v')).toEqual([
      ['s3:DeleteObjectVersion', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('DELETE', '/b/k', 'uploadId=u')).toEqual([
      ['s3:AbortMultipartUpload', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('GET', '/b/k', 'uploadId=u')).toEqual([
      ['s3:ListMultipartUploadParts', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('POST', '/b/k', 'restore')).toEqual([['s3:RestoreObject', 'arn:aws:s3:::b/k']]);
    expect(actions('GET', '/b/k', 'tagging')).toEqual([
      ['s3:GetObjectTagging', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('PUT', '/b/k', 'tagging')).toEqual([
      ['s3:PutObjectTagging', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('DELETE', '/b/k', 'tagging')).toEqual([
      ['s3:DeleteObjectTagging', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('GET', '/b/k', 'attributes')).toEqual([
      ['s3:GetObject', 'arn:aws:s3:::b/k'],
      ['s3:GetObjectAttributes', 'arn:aws:s3:::b/k'],
    ]);
  });
  it('copies need PutObject on the destination and a read of the source', () => {
    expect(
      actions('PUT', '/b/dest', '', { 'x-amz-copy-source': '/src/a%20b?versionId=v9' }),
    ).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::b/dest'],
      ['s3:GetObjectVersion', 'arn:aws:s3:::src/a b'],
    ]);
    expect(
      actions('PUT', '/b/dest', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': 'src/k' }),
    ).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::b/dest'],
      ['s3:GetObject', 'arn:aws:s3:::src/k'],
    ]);
    // The source is read as the handler reads it: decoded, then split at the first '/'.
    expect(actions('PUT', '/b/dest', '', { 'x-amz-copy-source': 'private%2Fpayroll.csv' })).toEqual(
      [
        ['s3:PutObject', 'arn:aws:s3:::b/dest'],
        ['s3:GetObject', 'arn:aws:s3:::private/payroll.csv'],
      ],
    );
    expect(actions('PUT', '/b/dest', '', { 'x-amz-copy-source': 'victim%2Fdir/secret' })).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::b/dest'],
      ['s3:GetObject', 'arn:aws:s3:::victim/dir/secret'],
    ]);
    // A source that cannot be read is refused before anything is authorised or copied.
    for (const bad of ['nobucket', '/b/%E0%A4%A', 'b/']) {
      expect(() => actions('PUT', '/b/dest', '', { 'x-amz-copy-source': bad })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
      );
    }
  });
  it('maps bucket operations and documents', () => {
    expect(actions('GET', '/')).toEqual([['s3:ListAllMyBuckets', '*']]);
    expect(actions('PUT', '/b')).toEqual([['s3:CreateBucket', 'arn:aws:s3:::b']]);
    expect(actions('HEAD', '/b')).toEqual([['s3:ListBucket', 'arn:aws:s3:::b']]);
    expect(actions('GET', '/b', 'list-type=2')).toEqual([['s3:ListBucket', 'arn:aws:s3:::b']]);
    expect(actions('GET', '/b', 'versions')).toEqual([['s3:ListBucketVersions', 'arn:aws:s3:::b']]);
    expect(actions('GET', '/b', 'uploads')).toEqual([
      ['s3:ListBucketMultipartUploads', 'arn:aws:s3:::b'],
    ]);
    expect(actions('POST', '/b', 'delete')).toEqual([['s3:DeleteObject', 'arn:aws:s3:::b/*']]);
    expect(actions('GET', '/b', 'policy')).toEqual([['s3:GetBucketPolicy', 'arn:aws:s3:::b']]);
    expect(actions('PUT', '/b', 'policy')).toEqual([['s3:PutBucketPolicy', 'arn:aws:s3:::b']]);
    expect(actions('DELETE', '/b', 'policy')).toEqual([
      ['s3:DeleteBucketPolicy', 'arn:aws:s3:::b'],
    ]);
    expect(actions('GET', '/b', 'policyStatus')).toEqual([
      ['s3:GetBucketPolicyStatus', 'arn:aws:s3:::b'],
    ]);
    expect(actions('PUT', '/b', 'cors')).toEqual([['s3:PutBucketCORS', 'arn:aws:s3:::b']]);
    expect(actions('DELETE', '/b', 'cors')).toEqual([['s3:PutBucketCORS', 'arn:aws:s3:::b']]);
    expect(actions('GET', '/b', 'lifecycle')).toEqual([
      ['s3:GetLifecycleConfiguration', 'arn:aws:s3:::b'],
    ]);
    expect(actions('PUT', '/b', 'encryption')).toEqual([
      ['s3:PutEncryptionConfiguration', 'arn:aws:s3:::b'],
    ]);
    expect(actions('GET', '/b', 'publicAccessBlock')).toEqual([
      ['s3:GetBucketPublicAccessBlock', 'arn:aws:s3:::b'],
    ]);
    expect(actions('PUT', '/b', 'tagging')).toEqual([['s3:PutBucketTagging', 'arn:aws:s3:::b']]);
    expect(actions('GET', '/b', 'acl')).toEqual([['s3:GetBucketAcl', 'arn:aws:s3:::b']]);
    expect(actions('PUT', '/b', 'acl')).toEqual([['s3:PutBucketAcl', 'arn:aws:s3:::b']]);
    expect(actions('GET', '/b/k', 'acl')).toEqual([['s3:GetObjectAcl', 'arn:aws:s3:::b/k']]);
    expect(actions('PUT', '/b/k', 'acl&versionId=v')).toEqual([
      ['s3:PutObjectVersionAcl', 'arn:aws:s3:::b/k'],
    ]);
    expect(actions('PUT', '/b', 'versioning')).toEqual([
      ['s3:PutBucketVersioning', 'arn:aws:s3:::b'],
    ]);
    expect(actions('GET', '/b', 'location')).toEqual([['s3:GetBucketLocation', 'arn:aws:s3:::b']]);
    expect(actions('DELETE', '/b')).toEqual([['s3:DeleteBucket', 'arn:aws:s3:::b']]);
    // Delete falls back to Put: DeleteBucketOwnershipControls needs PutBucketOwnershipControls.
    expect(actions('DELETE', '/b', 'ownershipControls')).toEqual([
      ['s3:PutBucketOwnershipControls', 'arn:aws:s3:::b'],
    ]);
  });

  it('CreateBucket that sets an ACL or Object Ownership needs those permissions too', () => {
    expect(actions('PUT', '/b', '', { 'x-amz-acl': 'public-read-write' })).toEqual([
      ['s3:CreateBucket', 'arn:aws:s3:::b'],
      ['s3:PutBucketAcl', 'arn:aws:s3:::b'],
    ]);
    expect(actions('PUT', '/b', '', { 'x-amz-grant-full-control': 'uri="x"' })).toEqual([
      ['s3:CreateBucket', 'arn:aws:s3:::b'],
      ['s3:PutBucketAcl', 'arn:aws:s3:::b'],
    ]);
    // A private ACL (rclone sends one) needs only s3:CreateBucket, as on S3.
    expect(actions('PUT', '/b', '', { 'x-amz-acl': 'private' })).toEqual([
      ['s3:CreateBucket', 'arn:aws:s3:::b'],
    ]);
    expect(actions('PUT', '/b', '', { 'x-amz-object-ownership': 'ObjectWriter' })).toEqual([
      ['s3:CreateBucket', 'arn:aws:s3:::b'],
      ['s3:PutBucketOwnershipControls', 'arn:aws:s3:::b'],
    ]);
  });
});

describe('conditionKeys', () => {
  const now = new Date('2026-06-01T12:00:00.123Z');
  const get = (keys: ReturnType<typeof conditionKeys>, k: string): readonly string[] | undefined =>
    keys.get(k.toLowerCase());

  it('describes the transport, the caller and the time', () => {
    const caller: Caller = { kind: 'key', identity: USER };
    const r = route('GET', '/b', 'prefix=home%2F&delimiter=%2F&max-keys=10', {});
    const keys = conditionKeys(
      r,
      request({ 'user-agent': 'aws-cli/2', referer: 'https://x' }),
      caller,
      now,
    );
    expect(get(keys, 'aws:SecureTransport')).toEqual(['false']);
    expect(get(keys, 'aws:SourceIp')).toEqual(['127.0.0.1']);
    expect(get(keys, 'aws:CurrentTime')).toEqual(['2026-06-01T12:00:00Z']);
    expect(get(keys, 'aws:EpochTime')).toEqual([String(Math.floor(now.getTime() / 1000))]);
    expect(get(keys, 'aws:username')).toEqual(['ziggie-vps-sync']);
    expect(get(keys, 'aws:PrincipalArn')).toEqual([USER.arn]);
    expect(get(keys, 'aws:PrincipalAccount')).toEqual([STOWAGE_ACCOUNT_ID]);
    expect(get(keys, 'aws:PrincipalType')).toEqual(['User']);
    expect(get(keys, 'aws:UserAgent')).toEqual(['aws-cli/2']);
    expect(get(keys, 'aws:Referer')).toEqual(['https://x']);
    expect(get(keys, 'aws:SourceArn')).toBeUndefined();
    expect(get(keys, 's3:prefix')).toEqual(['home/']);
    expect(get(keys, 's3:delimiter')).toEqual(['/']);
    expect(get(keys, 's3:max-keys')).toEqual(['10']);
    expect(get(keys, 's3:authType')).toEqual(['REST-HEADER']);
    expect(get(keys, 's3:signatureversion')).toEqual(['AWS4-HMAC-SHA256']);
  });
  it('an empty max-keys (a listing of the default 1,000) is no s3:max-keys', () => {
    const keys = conditionKeys(
      route('GET', '/b', 'max-keys=', {}),
      request(),
      { kind: 'anonymous' },
      now,
    );
    expect(get(keys, 's3:max-keys')).toBeUndefined();
  });
  it("s3:max-keys is a listing's own max-keys: never max-uploads, never for ListMultipartUploads", () => {
    const caller: Caller = { kind: 'key', identity: USER };
    const keysOf = (query: string) =>
      conditionKeys(route('GET', '/b', query, {}), request(), caller, now);
    // An empty max-keys beside a max-uploads the listing does not read: no limit to judge.
    expect(get(keysOf('list-type=2&max-keys=&max-uploads=5'), 's3:max-keys')).toBeUndefined();
    expect(get(keysOf('versions&max-keys=&max-uploads=5'), 's3:max-keys')).toBeUndefined();
    expect(get(keysOf('versions&max-keys=7'), 's3:max-keys')).toEqual(['7']);
    // AWS gives s3:ListBucketMultipartUploads none of the listing keys.
    const uploads = keysOf('uploads&max-keys=5&max-uploads=1000&prefix=a%2F');
    expect(get(uploads, 's3:max-keys')).toBeUndefined();
    expect(get(uploads, 's3:prefix')).toBeUndefined();
  });
  it('s3:authType and s3:signatureAge: a presigned URL and a form upload (POST), not a signed header', () => {
    const caller: Caller = { kind: 'key', identity: USER };
    const presigned = conditionKeys(
      route('GET', '/b/k', 'X-Amz-Date=20260601T115500Z&X-Amz-Signature=abc', {}),
      request(),
      caller,
      now,
    );
    expect(get(presigned, 's3:authType')).toEqual(['REST-QUERY-STRING']);
    expect(get(presigned, 's3:signatureAge')).toEqual([String(5 * 60_000 + 123)]);
    // Signed ahead of the server's clock (within the skew allowed): no negative age.
    const ahead = conditionKeys(
      route('GET', '/b/k', 'X-Amz-Date=20260601T120500Z&X-Amz-Signature=abc', {}),
      request(),
      caller,
      now,
    );
    expect(get(ahead, 's3:signatureAge')).toEqual(['0']);
    // post-object/handler.ts: a form's PutObject comes as a POST, its x-amz-date a header.
    const formRequest = {
      ...request({ 'x-amz-date': '20260601T115959Z' }),
      method: 'POST',
    } as IncomingMessage;
    const form = conditionKeys(
      { operation: 'PutObject', bucket: 'b', key: 'k', query: new URLSearchParams() },
      formRequest,
      caller,
      now,
    );
    expect(get(form, 's3:authType')).toEqual(['POST']);
    expect(get(form, 's3:signatureAge')).toEqual(['1123']);
    // A POST of another operation (CreateMultipartUpload) is signed in its headers.
    const upload = conditionKeys(
      route('POST', '/b/k', 'uploads', {}),
      { ...request({ 'x-amz-date': '20260601T115959Z' }), method: 'POST' } as IncomingMessage,
      caller,
      now,
    );
    expect(get(upload, 's3:authType')).toEqual(['REST-HEADER']);
    expect(get(upload, 's3:signatureAge')).toBeUndefined();
  });
  it('anonymous callers have no principal ARN, account or auth type', () => {
    const keys = conditionKeys(route('GET', '/b/k', '', {}), request(), { kind: 'anonymous' }, now);
    expect(get(keys, 'aws:PrincipalType')).toEqual(['Anonymous']);
    expect(get(keys, 'aws:PrincipalArn')).toBeUndefined();
    expect(get(keys, 'aws:PrincipalAccount')).toBeUndefined();
    expect(get(keys, 's3:authType')).toBeUndefined();
    expect(get(keys, 's3:prefix')).toBeUndefined();
  });
  it('an x-amz-content-sha256 header a presigned URL did not sign is no condition value', () => {
    const caller = {
      kind: 'key' as const,
      identity: { ...USER, root: true, name: 'root', arn: principalArn('root', true) },
    };
    const headers = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const unsigned = conditionKeys(
      route('PUT', '/b/k', 'X-Amz-Signature=abc&X-Amz-SignedHeaders=host', {}),
      request(headers),
      caller,
      now,
    );
    expect(get(unsigned, 's3:x-amz-content-sha256')).toBeUndefined();
    const signed = conditionKeys(
      route(
        'PUT',
        '/b/k',
        'X-Amz-Signature=abc&X-Amz-SignedHeaders=host%3Bx-amz-content-sha256',
        {},
      ),
      request(headers),
      caller,
      now,
    );
    expect(get(signed, 's3:x-amz-content-sha256')).toEqual(['UNSIGNED-PAYLOAD']);
  });
  it('reads TLS state and the request headers policies test', () => {
    const r = route('PUT', '/b/k', 'versionId=v1', {});
    const keys = conditionKeys(
      r,
      request(
        {
          'x-amz-acl': 'public-read',
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-aws-kms-key-id': 'key-1',
          'x-amz-storage-class': 'GLACIER',
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          'x-amz-tagging': 'team=games&cost=low',
        },
        { remoteAddress: '2001:db8::1', encrypted: true, getProtocol: () => 'TLSv1.3' },
      ),
      {
        kind: 'key',
        identity: { ...USER, root: true, name: 'root', arn: principalArn('root', true) },
      },
      now,
    );
    expect(get(keys, 'aws:SecureTransport')).toEqual(['true']);
    expect(get(keys, 's3:TlsVersion')).toEqual(['1.3']);
    expect(get(keys, 'aws:SourceIp')).toEqual(['2001:db8::1']);
    expect(get(keys, 'aws:PrincipalType')).toEqual(['Account']);
    expect(get(keys, 'aws:username')).toBeUndefined();
    expect(get(keys, 's3:VersionId')).toEqual(['v1']);
    expect(get(keys, 's3:x-amz-acl')).toEqual(['public-read']);
    expect(get(keys, 's3:x-amz-server-side-encryption')).toEqual(['aws:kms']);
    expect(get(keys, 's3:x-amz-server-side-encryption-aws-kms-key-id')).toEqual(['key-1']);
    expect(get(keys, 's3:x-amz-storage-class')).toEqual(['GLACIER']);
    expect(get(keys, 's3:x-amz-content-sha256')).toEqual(['UNSIGNED-PAYLOAD']);
    expect(get(keys, 's3:RequestObjectTagKeys')).toEqual(['team', 'cost']);
    expect(get(keys, 's3:RequestObjectTag/team')).toEqual(['games']);
  });
});
