/**
 * SSE-C with clients nobody here wrote, over https (S3 refuses customer keys in the
 * clear): aws-cli's --sse-c / --sse-c-key / --sse-c-copy-source flags (single PUT,
 * multipart, S3-to-S3 copy, s3api head-object), boto3 (put/get and a multipart
 * upload_file/download_file with ExtraArgs), and rclone's sse_customer_* options (copy,
 * check of the bytes, a multipart upload). Each reads back what it wrote byte for byte,
 * and a read without the key is refused.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS, awsCliEnv, runAws } from '../helpers/aws-cli.js';
import { makeCertificate, OPENSSL } from '../helpers/certificate.js';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { BOTO3_CLIENT, boto3Env, pythonWithBoto3 } from '../helpers/python.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { rcloneEnv } from '../helpers/rclone.js';

const BUCKET = 'ssec-interop';
const KEY = randomBytes(32);
const KEY_MD5 = createHash('md5').update(KEY).digest('base64');

let t: TestServer;
let work: string;
let cert: string;
let keyFile: string;
let big: Buffer;
let bigFile: string;

beforeAll(async () => {
  ensureDebianPackages({ [OPENSSL]: 'openssl', [AWS]: 'awscli', '/usr/bin/rclone': 'rclone' });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-ssec-interop-'));
  let tlsKey: string;
  ({ cert, key: tlsKey } = makeCertificate(work, 'server'));
  t = await startTestServer({
    server: { tls: { certFile: cert, keyFile: tlsKey } },
    httpsAgent: new https.Agent({ ca: readFileSync(cert) }),
  });
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  keyFile = path.join(work, 'customer.key');
  writeFileSync(keyFile, KEY);
  // Over every client's multipart threshold (aws-cli and boto3 8 MiB; rclone's is set low).
  big = randomBytes(20 * 1024 * 1024 + 12345);
  bigFile = path.join(work, 'big.bin');
  writeFileSync(bigFile, big);
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function expectOk(what: string, r: RunResult): void {
  expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

describe('SSE-C with real clients over https', () => {
  it('aws-cli: cp up and down (single part and multipart), s3-to-s3 copy, head-object; no key is refused', async () => {
    const env = {
      ...awsCliEnv({ endpoint: t.url, region: 'us-east-1', credentials: TEST_KEY }, work),
      AWS_MAX_ATTEMPTS: '1',
    };
    const aws = (...args: string[]): Promise<RunResult> =>
      runAws(['--endpoint-url', t.url, '--ca-bundle', cert, ...args], env, work);
    const sse = ['--sse-c', 'AES256', '--sse-c-key', `fileb://${keyFile}`];
    const small = path.join(work, 'small.txt');
    writeFileSync(small, 'aws-cli under a customer key\n');
    expectOk('cp up', await aws('s3', 'cp', small, `s3://${BUCKET}/aws/small.txt`, ...sse));
    expectOk('cp big up', await aws('s3', 'cp', bigFile, `s3://${BUCKET}/aws/big.bin`, ...sse));
    const down = await aws('s3', 'cp', `s3://${BUCKET}/aws/small.txt`, '-', ...sse);
    expectOk('cp down', down);
    expect(down.stdout).toBe('aws-cli under a customer key\n');
    const bigDown = path.join(work, 'aws-big.out');
    expectOk('cp big down', await aws('s3', 'cp', `s3://${BUCKET}/aws/big.bin`, bigDown, ...sse));
    expect(readFileSync(bigDown).equals(big)).toBe(true);

    const copied = await aws(
      's3',
      'cp',
      `s3://${BUCKET}/aws/big.bin`,
      `s3://${BUCKET}/aws/big-copy.bin`,
      '--sse-c-copy-source',
      'AES256',
      '--sse-c-copy-source-key',
      `fileb://${keyFile}`,
      ...sse,
    );
    expectOk('cp s3-to-s3', copied);
    const head = await aws(
      's3api',
      'head-object',
      '--bucket',
      BUCKET,
      '--key',
      'aws/big-copy.bin',
      '--sse-customer-algorithm',
      'AES256',
      '--sse-customer-key',
      `fileb://${keyFile}`,
      '--output',
      'json',
    );
    expectOk('head-object', head);
    const info = JSON.parse(head.stdout) as Record<string, unknown>;
    expect([info.ContentLength, info.SSECustomerAlgorithm, info.SSECustomerKeyMD5]).toEqual([
      big.length,
      'AES256',
      KEY_MD5,
    ]);

    const bare = await aws('s3', 'cp', `s3://${BUCKET}/aws/small.txt`, '-');
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/400|Bad Request/);
  });

  it('boto3: put/get/head with SSECustomerKey, and a multipart upload_file/download_file', async () => {
    const python = pythonWithBoto3();
    const script = path.join(work, 'ssec.py');
    writeFileSync(
      script,
      String.raw`${BOTO3_CLIENT}import json, sys
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

endpoint, access_key, secret_key, ca, bucket, key_file, big, out = sys.argv[1:9]
key = open(key_file, "rb").read()
s3 = s3_client(endpoint, access_key, secret_key, verify=ca, retries={"max_attempts": 1})
sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
res = {}
s3.put_object(Bucket=bucket, Key="boto3/small.txt", Body=b"boto3 under a customer key\n", **sse)
res["body"] = s3.get_object(Bucket=bucket, Key="boto3/small.txt", **sse)["Body"].read().decode()
res["md5"] = s3.head_object(Bucket=bucket, Key="boto3/small.txt", **sse)["SSECustomerKeyMD5"]
try:
    s3.get_object(Bucket=bucket, Key="boto3/small.txt")
    res["bare"] = "read"
except ClientError as e:
    res["bare"] = e.response["Error"]["Code"]
config = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
s3.upload_file(big, bucket, "boto3/big.bin", ExtraArgs=sse, Config=config)
s3.download_file(bucket, "boto3/big.bin", out, ExtraArgs=sse, Config=config)
res["parts"] = s3.head_object(Bucket=bucket, Key="boto3/big.bin", PartNumber=1, **sse).get("PartsCount")
print(json.dumps(res))
`,
    );
    const out = path.join(work, 'boto3-big.out');
    const r = await runPeer(
      python,
      [
        script,
        t.url,
        TEST_KEY.accessKeyId,
        TEST_KEY.secretAccessKey,
        cert,
        BUCKET,
        keyFile,
        bigFile,
        out,
      ],
      boto3Env(python, work),
      { cwd: work },
    );
    expectOk('boto3 ssec.py', r);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      body: 'boto3 under a customer key\n',
      md5: KEY_MD5,
      bare: 'InvalidRequest',
      parts: 3,
    });
    expect(readFileSync(out).equals(big)).toBe(true);
  });

  it('rclone: sse_customer_* copy up and down, multipart, check; without the key the read fails', async () => {
    const base = rcloneEnv(t.url, work);
    const keyed = {
      ...base,
      RCLONE_CONFIG_STW_SSE_CUSTOMER_ALGORITHM: 'AES256',
      RCLONE_CONFIG_STW_SSE_CUSTOMER_KEY_BASE64: KEY.toString('base64'),
      RCLONE_CONFIG_STW_SSE_CUSTOMER_KEY_MD5: KEY_MD5,
    };
    const rclone = (env: Record<string, string>, ...args: string[]): Promise<RunResult> =>
      runPeer(
        '/usr/bin/rclone',
        ['--retries', '1', '--low-level-retries', '1', '--ca-cert', cert, ...args],
        env,
        { cwd: work },
      );
    const src = path.join(work, 'rclone-src');
    const dst = path.join(work, 'rclone-dst');
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src);
    writeFileSync(path.join(src, 'small.txt'), 'rclone under a customer key\n');
    copyFileSync(bigFile, path.join(src, 'big.bin'));
    const multipart = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];
    expectOk(
      'rclone copy up',
      await rclone(keyed, 'copy', ...multipart, src, `stw:${BUCKET}/rclone`),
    );
    expectOk('rclone copy down', await rclone(keyed, 'copy', `stw:${BUCKET}/rclone`, dst));
    expect(readFileSync(path.join(dst, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(path.join(dst, 'small.txt'), 'utf8')).toBe('rclone under a customer key\n');
    expectOk(
      'rclone check --download',
      await rclone(keyed, 'check', '--download', src, `stw:${BUCKET}/rclone`),
    );
    // A cat of the directory: the listing needs no key, each GET does.
    const bare = await rclone(base, 'cat', '--include', 'small.txt', `stw:${BUCKET}/rclone`);
    expect(bare.code, bare.stdout + bare.stderr).not.toBe(0);
    expect(bare.stderr).toMatch(/InvalidRequest|400/);
    expect(bare.stdout).toBe('');
  });
});
