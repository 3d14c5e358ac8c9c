/**
 * A copy that runs long starts its answer before it is done, as S3 does: 200, the XML
 * declaration, a space every so often, then the result, or an Error document the SDKs read
 * from the 200 (long-answer.ts). Here the answer starts after 20 ms instead of S3's 10 s,
 * so a copy of a 128 MiB object runs long; the spaces before the result show that it did.
 */
import {
  CopyObjectCommand,
  DeleteBucketCommand,
  ListBucketsCommand,
  S3Client,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificate.js';
import { tempDir } from '../helpers/engine.js';
import { startNginx } from '../helpers/nginx.js';
import { runPeer } from '../helpers/peers.js';
import { BOTO3_CLIENT, boto3Env, pythonWith } from '../helpers/python.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const BUCKET = 'long-copy';
const SOURCE = 'big.bin';
const SIZE = 128 * 1024 * 1024;
let t: TestServer;
let work: { dir: string; cleanup: () => void };
let sourceMd5: string;
let sourceVersion: string;

/** When answers start here (read at each request: a test may change them). */
const TIMES = { afterMs: 20, everyMs: 10 };

/** The start of a long answer: the declaration, then at least one space. */
const EARLY = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n +</;

beforeAll(async () => {
  t = await startTestServer({ longAnswer: TIMES });
  work = tempDir('stowage-long-copy-');
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await t.client.send(
    new PutBucketVersioningCommand({
      Bucket: BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  const body = randomBytes(SIZE);
  sourceMd5 = createHash('md5').update(body).digest('hex');
  const put = await t.client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: SOURCE, Body: body }),
  );
  sourceVersion = put.VersionId!;
}, 120_000);

afterAll(async () => {
  await t?.close();
  work?.cleanup();
});

function copy(key: string, headers: Record<string, string> = {}): Promise<Response> {
  return signedFetch(t, 'PUT', `/${BUCKET}/${key}`, {
    headers: { 'x-amz-copy-source': `/${BUCKET}/${SOURCE}`, ...headers },
  });
}

/** The text of `res`, doing `meanwhile` once its first bytes (the answer's start) are in. */
async function readAround(res: Response, meanwhile: () => Promise<unknown>): Promise<string> {
  const reader = res.body!.getReader();
  const first = await reader.read();
  let text = Buffer.from(first.value!).toString();
  await meanwhile();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += Buffer.from(r.value).toString();
  }
  return text;
}

async function head(key: string) {
  return t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
}

describe('a long CopyObject', () => {
  it('answers 200 with spaces while it copies, then its result, with the headers it will have', async () => {
    const res = await copy('copied.bin');
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(EARLY);
    expect(text.trimEnd()).toMatch(/<CopyObjectResult xmlns="[^"]+"><ETag>.*<\/CopyObjectResult>$/);
    expect(text).toContain(`<ETag>&quot;${sourceMd5}&quot;</ETag>`);
    // The headers went out before the copy was done, and still say what it did.
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('content-type')).toBe('application/xml');
    const copied = await head('copied.bin');
    expect(copied.ETag).toBe(`"${sourceMd5}"`);
    expect(copied.ContentLength).toBe(SIZE);
    expect(res.headers.get('x-amz-version-id')).toBe(copied.VersionId);
    expect(res.headers.get('x-amz-copy-source-version-id')).toBe(sourceVersion);
    expect(res.headers.get('x-amz-server-side-encryption')).toBe(copied.ServerSideEncryption);
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
  }, 60_000);

  it('gives the SDK its version id and ETag', async () => {
    const out = await t.client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'sdk-copy.bin',
        CopySource: `${BUCKET}/${SOURCE}`,
      }),
    );
    const copied = await head('sdk-copy.bin');
    expect(out.VersionId).toBe(copied.VersionId);
    expect(out.CopySourceVersionId).toBe(sourceVersion);
    expect(out.CopyObjectResult?.ETag).toBe(`"${sourceMd5}"`);
  }, 60_000);

  it('ends with an Error document when the copy fails after the answer began, and writes nothing', async () => {
    const res = await copy('taken.bin', { 'if-none-match': '*' });
    // The answer has begun (its headers are here); the copy is still running.
    expect(res.status).toBe(200);
    const text = await readAround(res, () =>
      t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'taken.bin', Body: 'first' })),
    );
    expect(text).toMatch(EARLY);
    expect(text).toMatch(/<Error><Code>PreconditionFailed<\/Code><Message>[^<]+<\/Message>/);
    expect(text.endsWith('</Error>')).toBe(true);
    const kept = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'taken.bin' }));
    expect(await kept.Body!.transformToString()).toBe('first');
    const versions = await t.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'taken.bin' }),
    );
    expect(versions.Versions?.length).toBe(1);
  }, 120_000);
});

describe('a long CopyObject that cannot succeed', () => {
  it('is a plain 412 at once when its destination condition already fails', async () => {
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exists.bin', Body: 'x' }));
    const res = await copy('exists.bin', { 'if-none-match': '*' });
    expect(res.status).toBe(412);
    const text = await res.text();
    expect(text).not.toMatch(EARLY);
    expect(text).toContain('<Code>PreconditionFailed</Code>');
  });

  it('is 404 NoSuchBucket when its bucket is deleted before the answer starts, and the server stays up', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'long-copy-gone' }));
    TIMES.afterMs = 400;
    try {
      const copying = signedFetch(t, 'PUT', '/long-copy-gone/copy.bin', {
        headers: { 'x-amz-copy-source': `/${BUCKET}/${SOURCE}` },
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The copy has not committed: the bucket is empty and goes.
      await t.client.send(new DeleteBucketCommand({ Bucket: 'long-copy-gone' }));
      const res = await copying;
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('<Code>NoSuchBucket</Code>');
    } finally {
      TIMES.afterMs = 20;
    }
    const buckets = await t.client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual([BUCKET]);
  });

  it('fails in its 200, writing nothing, when versioning changes after its version id was told', async () => {
    const res = await copy('conflict.bin');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-version-id')).toMatch(/^[0-9a-f]{32}$/);
    try {
      const text = await readAround(res, () =>
        t.client.send(
          new PutBucketVersioningCommand({
            Bucket: BUCKET,
            VersioningConfiguration: { Status: 'Suspended' },
          }),
        ),
      );
      expect(text).toMatch(EARLY);
      expect(text).toMatch(/<Error><Code>ConditionalRequestConflict<\/Code>/);
    } finally {
      await t.client.send(
        new PutBucketVersioningCommand({
          Bucket: BUCKET,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      );
    }
    const versions = await t.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'conflict.bin' }),
    );
    expect(versions.Versions ?? []).toEqual([]);
  }, 60_000);
});

describe('a long UploadPartCopy', () => {
  it('answers 200 with spaces, then its CopyPartResult', async () => {
    const { UploadId } = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.bin' }),
    );
    const res = await signedFetch(
      t,
      'PUT',
      `/${BUCKET}/parts.bin?partNumber=1&uploadId=${UploadId!}`,
      { headers: { 'x-amz-copy-source': `/${BUCKET}/${SOURCE}` } },
    );
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(EARLY);
    expect(text).toContain(`<CopyPartResult xmlns=`);
    expect(text).toContain(`<ETag>&quot;${sourceMd5}&quot;</ETag>`);
    expect(res.headers.get('x-amz-copy-source-version-id')).toBe(sourceVersion);
    const parts = await t.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'parts.bin', UploadId }),
    );
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, SIZE, `"${sourceMd5}"`],
    ]);
  }, 120_000);
});

describe('boto3, whose read timeout is shorter than the copy', () => {
  it('copies, copies a part, and reads a failure from the 200', async () => {
    const python = pythonWith({ boto3: 'python3-boto3' });
    const script = path.join(work.dir, 'long_copy.py');
    writeFileSync(
      script,
      String.raw`${BOTO3_CLIENT}import json, sys
from botocore.exceptions import ClientError

endpoint, access_key, secret_key, bucket, source = sys.argv[1:6]
# A read timeout of 0.5 s: without the spaces, the copy's silence would time it out.
s3 = s3_client(endpoint, access_key, secret_key, read_timeout=0.5, retries={"max_attempts": 1})
out = {}
c = s3.copy_object(Bucket=bucket, Key="boto3.bin", CopySource={"Bucket": bucket, "Key": source})
out["copy"] = [c["VersionId"], c["CopyObjectResult"]["ETag"]]
up = s3.create_multipart_upload(Bucket=bucket, Key="boto3-parts.bin")
p = s3.upload_part_copy(Bucket=bucket, Key="boto3-parts.bin", UploadId=up["UploadId"],
                        PartNumber=1, CopySource={"Bucket": bucket, "Key": source})
out["part"] = p["CopyPartResult"]["ETag"]

# The test writes boto3-taken.bin as this copy begins (its bytes then still to copy).
try:
    s3.copy_object(Bucket=bucket, Key="boto3-taken.bin", IfNoneMatch="*",
                   CopySource={"Bucket": bucket, "Key": source})
    out["taken"] = "copied"
except ClientError as e:
    meta = e.response["ResponseMetadata"]
    out["taken"] = [e.response["Error"]["Code"], meta["HTTPStatusCode"], meta["RetryAttempts"]]
print(json.dumps(out))
`,
    );
    // A writer that takes the copy's key as the copy begins, so that it fails at commit,
    // after its answer began: the engine's own start hook tells when.
    const engine = t.server.engine;
    const copyObject = engine.copyObject.bind(engine);
    engine.copyObject = (source, dest, options = {}) =>
      copyObject(source, dest, {
        ...options,
        onStart: (start) => {
          options.onStart?.(start);
          if (dest.key === 'boto3-taken.bin') void engine.putObject(BUCKET, dest.key, 'first');
        },
      });
    const r = await runPeer(
      python,
      [script, t.url, TEST_KEY.accessKeyId, TEST_KEY.secretAccessKey, BUCKET, SOURCE],
      boto3Env(python, work.dir),
      { cwd: work.dir, timeoutMs: 120_000 },
    ).finally(() => (engine.copyObject = copyObject));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { copy: string[]; part: string; taken: unknown };
    expect(out.copy).toEqual([(await head('boto3.bin')).VersionId, `"${sourceMd5}"`]);
    expect(out.part).toBe(`"${sourceMd5}"`);
    // botocore read the Error in the 200 and retried it (its legacy max_attempts of 1 is
    // one retry); the retry's plain 412 comes at once, the key being taken by then.
    expect(out.taken).toEqual(['PreconditionFailed', 412, 1]);
    const kept = await t.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'boto3-taken.bin' }),
    );
    expect(await kept.Body!.transformToString()).toBe('first');
  }, 150_000);
});

describe('nginx, whose proxy_read_timeout is shorter than the copy', () => {
  it('passes the long answer through, and the SDK gets its result', async () => {
    // A copy of 384 MiB takes seconds here; without the spaces nginx would answer 504
    // after 1 s of silence from Stowage.
    const body = randomBytes(384 * 1024 * 1024);
    await t.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bigger.bin', Body: body }));
    const md5 = createHash('md5').update(body).digest('hex');
    const { cert, key } = makeCertificate(work.dir, 'proxy');
    const nginx = await startNginx({
      dir: path.join(work.dir, 'nginx'),
      upstream: new URL(t.url).host,
      cert,
      key,
      readTimeout: '1s',
    });
    const client = new S3Client({
      endpoint: nginx.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_KEY,
      maxAttempts: 1,
      requestHandler: { httpsAgent: new https.Agent({ ca: readFileSync(cert) }) },
    });
    try {
      const out = await client.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: 'proxied.bin',
          CopySource: `${BUCKET}/bigger.bin`,
        }),
      );
      expect(out.VersionId).toBe((await head('proxied.bin')).VersionId);
      expect(out.CopyObjectResult?.ETag).toBe(`"${md5}"`);
    } finally {
      client.destroy();
      await nginx.close();
    }
  }, 120_000);
});
