/**
 * `stowage serve` over TLS (server.tls.certFile / keyFile) with a throwaway self-signed
 * certificate for 127.0.0.1 and localhost: aws-cli (--ca-bundle), boto3 (verify=),
 * rclone (--ca-cert) and @aws-sdk/client-s3 (an https.Agent with `ca`) each round-trip an
 * object, and each refuses the server without the certificate; a presigned https URL
 * works with curl --cacert; plain HTTP to the TLS port fails and the server stays up; bad
 * certificate or key files stop `stowage serve` with a message naming them.
 */
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { runAws } from '../helpers/aws-cli.js';
import { makeCertificate, OPENSSL } from '../helpers/certificate.js';
import { BOTO3_CLIENT, boto3Env, pythonWithBoto3 } from '../helpers/python.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { denyInsecureTransport } from '../fixtures/seed-policies.js';
import { startRgw, type RgwServer } from '../helpers/rgw.js';
import { freePort } from '../helpers/rgw-support.js';
import { runCli } from '../helpers/run-cli.js';
import { S3StorageManager } from '../../src/index.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { rcloneEnv } from '../helpers/rclone.js';

const BUCKET = 'tls-interop';

let t: TestServer;
let work: string;
let cert: string;
let key: string;
let ca: Buffer;
let client: S3Client;

function sdkClient(agent: https.Agent): S3Client {
  return new S3Client({
    endpoint: t.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_KEY,
    maxAttempts: 1,
    requestHandler: { httpsAgent: agent },
  });
}

beforeAll(async () => {
  ensureDebianPackages({
    [OPENSSL]: 'openssl',
    '/usr/bin/aws': 'awscli',
    '/usr/bin/rclone': 'rclone',
    '/usr/bin/curl': 'curl',
  });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-tls-'));
  ({ cert, key } = makeCertificate(work, 'server'));
  ca = readFileSync(cert);
  t = await startTestServer({ server: { tls: { certFile: cert, keyFile: key } } });
  client = sdkClient(new https.Agent({ ca }));
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 600_000);

afterAll(async () => {
  client?.destroy();
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** GET /health over https trusting `ca`: the status code. */
function health(): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(`${t.url}/health`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

function expectOk(what: string, r: RunResult): void {
  expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

describe('stowage serve over TLS', () => {
  it('serves https on the URL it reports', () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('@aws-sdk/client-s3 with an https.Agent trusting the certificate round-trips; without it, fails', async () => {
    const body = 'over TLS from the JS SDK\n';
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk.txt', Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk.txt' }));
    expect(await got.Body!.transformToString()).toBe(body);

    const untrusting = sdkClient(new https.Agent());
    try {
      await expect(
        untrusting.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk.txt' })),
      ).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    } finally {
      untrusting.destroy();
    }
  });

  it('aws-cli with --ca-bundle round-trips; without it, fails certificate verification', async () => {
    const env = {
      HOME: work,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: path.join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
      AWS_PAGER: '',
      // A certificate error is retried with back-off otherwise (seconds per call).
      AWS_MAX_ATTEMPTS: '1',
    };
    const aws = (...args: string[]): Promise<RunResult> =>
      runAws(['--endpoint-url', t.url, ...args], env, work);
    const file = path.join(work, 'aws.txt');
    writeFileSync(file, 'over TLS from aws-cli\n');
    expectOk(
      'aws s3 cp up',
      await aws('--ca-bundle', cert, 's3', 'cp', file, `s3://${BUCKET}/aws.txt`),
    );
    const down = await aws('--ca-bundle', cert, 's3', 'cp', `s3://${BUCKET}/aws.txt`, '-');
    expectOk('aws s3 cp down', down);
    expect(down.stdout).toBe('over TLS from aws-cli\n');

    const untrusted = await aws('s3', 'ls', `s3://${BUCKET}`);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/SSL validation failed|CERTIFICATE_VERIFY_FAILED/);
  });

  it('the stowage CLI trusts AWS_CA_BUNDLE, a profile ca_bundle or a store caBundle; without one it fails saying so', async () => {
    const home = mkdtempSync(path.join(work, 'cli-home-'));
    const keys = {
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    };
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCli(['--endpoint-url', t.url, ...args], {
        env: { HOME: home, ...keys, ...env },
        cwd: home,
      });
    const file = path.join(home, 'cli.txt');
    writeFileSync(file, 'over TLS from the stowage CLI\n');
    // Up (the fast path's own PutObject) and down (its GetObject), and a listing (the SDK).
    const up = await cli(['cp', file, `s3://${BUCKET}/cli.txt`], { AWS_CA_BUNDLE: cert });
    expect(up.code, up.stderr).toBe(0);
    const down = await cli(['cp', `s3://${BUCKET}/cli.txt`, '-'], { AWS_CA_BUNDLE: cert });
    expect([down.code, down.stdout]).toEqual([0, 'over TLS from the stowage CLI\n']);
    const ls = await cli(['ls', `s3://${BUCKET}/`], { AWS_CA_BUNDLE: cert });
    expect(ls.stdout).toContain('cli.txt');

    const flag = await cli(['--ca-bundle', path.relative(home, cert), 'ls', `s3://${BUCKET}/`]);
    expect([flag.code, flag.stderr]).toEqual([0, '']);
    expect(flag.stdout).toContain('cli.txt');

    const untrusted = await cli(['ls', `s3://${BUCKET}/`]);
    expect(untrusted.code).toBe(7);
    expect(untrusted.stderr).toMatch(/the TLS certificate is not trusted; set AWS_CA_BUNDLE/);

    // A profile's ca_bundle (with ~/), and a store's caBundle in stowage.yaml.
    mkdirSync(path.join(home, '.aws'));
    copyFileSync(cert, path.join(home, 'server.crt'));
    writeFileSync(path.join(home, '.aws', 'config'), '[default]\nca_bundle = ~/server.crt\n');
    const viaProfile = await cli(['cp', `s3://${BUCKET}/cli.txt`, '-']);
    expect([viaProfile.code, viaProfile.stdout]).toEqual([0, 'over TLS from the stowage CLI\n']);
    rmSync(path.join(home, '.aws', 'config'));
    // A relative caBundle is relative to the file naming it, as its TLS files are.
    writeFileSync(
      path.join(home, 'stowage.yaml'),
      `stores:\n  tls:\n    endpoint: ${t.url}\n    caBundle: server.crt\ndefaultStore: tls\n`,
    );
    const viaStore = await runCli(['cp', `s3://${BUCKET}/cli.txt`, '-'], {
      env: { HOME: home, ...keys, STOWAGE_CONFIG: path.join(home, 'stowage.yaml') },
      cwd: work,
    });
    expect([viaStore.code, viaStore.stdout]).toEqual([0, 'over TLS from the stowage CLI\n']);
    rmSync(path.join(home, 'stowage.yaml'));
    // --ca-bundle=~/… (no shell to expand it) is under the home directory.
    const tilde = await cli(['--ca-bundle=~/server.crt', 'ls', `s3://${BUCKET}/`]);
    expect([tilde.code, tilde.stderr]).toEqual([0, '']);
    // A relative AWS_CA_BUNDLE is relative to the command's working directory (not this
    // test process's), and to the library's `cwd`.
    const relative = await cli(['ls', `s3://${BUCKET}/`], { AWS_CA_BUNDLE: 'server.crt' });
    expect([relative.code, relative.stderr]).toEqual([0, '']);
    const m = await S3StorageManager.fromEnv({
      env: {
        ...keys,
        AWS_ENDPOINT_URL: t.url,
        AWS_CA_BUNDLE: 'server.crt',
        S3_BUCKET_NAME: BUCKET,
      },
      homeDir: home,
      cwd: home,
    });
    try {
      const listed: string[] = [];
      for await (const o of m.list({ prefix: 'cli' })) listed.push(o.key);
      expect(listed).toEqual(['cli.txt']);
    } finally {
      m.close();
    }
    // A bundle without the store's certificate says so, instead of "set AWS_CA_BUNDLE".
    const other = makeCertificate(home, 'other');
    const wrong = await cli(['ls', `s3://${BUCKET}/`], { AWS_CA_BUNDLE: other.cert });
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toContain(
      `not even with the CA bundle ${other.cert} from env AWS_CA_BUNDLE: point it at the certificate the store serves`,
    );

    // A bundle that cannot be read, or holds no certificate, is a config error naming it.
    const missing = await cli(['ls'], { AWS_CA_BUNDLE: path.join(home, 'nope.pem') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /env AWS_CA_BUNDLE: cannot read the CA bundle .*nope\.pem \(ENOENT\) \(E_CONFIG_INVALID\)/,
    );
    const notPem = await cli(['ls'], { AWS_CA_BUNDLE: key });
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toMatch(/the CA bundle .* holds no PEM certificate/);
    const garbled = path.join(home, 'garbled.pem');
    writeFileSync(garbled, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const bad = await cli(['ls'], { AWS_CA_BUNDLE: garbled });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/certificate 1 of the CA bundle .* is not a valid PEM certificate/);
  });

  it('a CA bundle adds to what NODE_EXTRA_CA_CERTS trusts, it does not replace it', async () => {
    // The CLI in a process of its own: Node reads NODE_EXTRA_CA_CERTS when it starts.
    // Async: the server under test runs in this process.
    const run = await runPeer(
      process.execPath,
      [path.resolve('bin/stowage.cjs'), '--endpoint-url', t.url, 'ls', `s3://${BUCKET}/`],
      {
        HOME: work,
        AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
        NODE_EXTRA_CA_CERTS: cert,
        // The system's CAs, which do not include the server's certificate.
        AWS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
      },
      { timeoutMs: 60_000 },
    );
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain('cli.txt');
  });

  it('boto3 with verify=<cert> round-trips; with the system CAs, fails', async () => {
    const python = pythonWithBoto3();
    const script = path.join(work, 'tls.py');
    writeFileSync(
      script,
      String.raw`${BOTO3_CLIENT}import json, sys
from botocore.exceptions import SSLError

endpoint, access_key, secret_key, ca, bucket = sys.argv[1:6]
def client(verify):
    return s3_client(endpoint, access_key, secret_key, verify=verify, retries={"max_attempts": 1})
s3 = client(ca)
s3.put_object(Bucket=bucket, Key="boto3.txt", Body=b"over TLS from boto3\n")
out = {"body": s3.get_object(Bucket=bucket, Key="boto3.txt")["Body"].read().decode()}
try:
    client(True).head_object(Bucket=bucket, Key="boto3.txt")
    out["untrusted"] = "accepted"
except SSLError as e:
    out["untrusted"] = "SSLError"
print(json.dumps(out))
`,
    );
    const r = await runPeer(
      python,
      [script, t.url, TEST_KEY.accessKeyId, TEST_KEY.secretAccessKey, cert, BUCKET],
      boto3Env(python, work),
      { cwd: work },
    );
    expectOk('boto3 tls.py', r);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      body: 'over TLS from boto3\n',
      untrusted: 'SSLError',
    });
  });

  it('rclone with --ca-cert round-trips; without it, fails', async () => {
    const env = rcloneEnv(t.url, work);
    const rclone = (...args: string[]): Promise<RunResult> =>
      runPeer('/usr/bin/rclone', ['--retries', '1', '--low-level-retries', '1', ...args], env, {
        cwd: work,
      });
    const file = path.join(work, 'rclone.txt');
    writeFileSync(file, 'over TLS from rclone\n');
    expectOk(
      'rclone copyto',
      await rclone('--ca-cert', cert, 'copyto', file, `stw:${BUCKET}/rclone.txt`),
    );
    const cat = await rclone('--ca-cert', cert, 'cat', `stw:${BUCKET}/rclone.txt`);
    expectOk('rclone cat', cat);
    expect(cat.stdout).toBe('over TLS from rclone\n');

    const untrusted = await rclone('cat', `stw:${BUCKET}/rclone.txt`);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/x509|certificate/);
  });

  it('a presigned https URL works with curl --cacert', async () => {
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk.txt' }),
      {
        expiresIn: 300,
      },
    );
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/tls-interop\/sdk\.txt\?.*X-Amz-Signature=/);
    const r = await runPeer('/usr/bin/curl', ['-sS', '--fail', '--cacert', cert, url], {});
    expectOk('curl --cacert', r);
    expect(r.stdout).toBe('over TLS from the JS SDK\n');
    const untrusted = await runPeer('/usr/bin/curl', ['-sS', '--fail', url], {});
    expect(untrusted.code).toBe(60); // curl: peer certificate cannot be authenticated
  });

  it('plain HTTP to the TLS port fails cleanly, and the server stays up', async () => {
    const plain = t.url.replace(/^https:/, 'http:');
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(`${plain}/health`, (res) => {
          res.resume();
          resolve(`status ${res.statusCode}`);
        })
        .on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
    });
    expect(outcome).toMatch(/^error (ECONNRESET|EPIPE)$|^status 400$/);
    const curl = await runPeer('/usr/bin/curl', ['-sS', `${plain}/health`], {});
    expect(curl.code).not.toBe(0);
    expect(await health()).toBe(200);
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk.txt' }));
    expect(await got.Body!.transformToString()).toBe('over TLS from the JS SDK\n');
  });
  it('a policy denying aws:SecureTransport=false still lets https requests through', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [denyInsecureTransport(BUCKET)],
    };
    await client.send(
      new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }),
    );
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk.txt' }));
      expect(await got.Body!.transformToString()).toBe('over TLS from the JS SDK\n');
    } finally {
      await client.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    }
  });
});

describe('stowage serve over TLS: connections that never start the handshake', () => {
  it('are closed after the idle timeout, as silent plain-HTTP connections are', async () => {
    // node's own handshake timeout is 120 s, and its clientError answer (plaintext on a TLS
    // socket) never flushed: such connections stayed open for good, a descriptor each.
    const quick = await startTestServer({
      server: { tls: { certFile: cert, keyFile: key }, idleTimeoutSeconds: 1 },
    });
    try {
      const port = Number(new URL(quick.url).port);
      const silent = await Promise.all(Array.from({ length: 3 }, () => connectRaw(port)));
      await Promise.all(silent.map((c) => c.closedWithin(10_000)));
    } finally {
      await quick.close();
    }
  }, 30_000);

  it('do not hold up a shutdown', async () => {
    // With the default idle timeout (20 s), a stop must not wait for them.
    const server = await startTestServer({ server: { tls: { certFile: cert, keyFile: key } } });
    const silent = await connectRaw(Number(new URL(server.url).port));
    const stopped = server.close().then(() => 'stopped');
    const outcome = await Promise.race([
      stopped,
      new Promise((r) => setTimeout(() => r('still running after 10 s'), 10_000).unref()),
    ]);
    expect(outcome).toBe('stopped');
    await silent.closedWithin(1000);
  }, 30_000);
});

describe('stowage serve over TLS: the start-up message', () => {
  it('with a self-signed certificate, exports it as AWS_CA_BUNDLE, and the snippet works', async () => {
    const dir = mkdtempSync(path.join(work, 'banner-'));
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'stowage.yaml'),
      `dataDir: ./d\nserver:\n  port: ${port}\n  tls:\n    certFile: ${cert}\n    keyFile: ${key}\n`,
    );
    const child = spawn(process.execPath, [path.resolve('bin/stowage.cjs'), 'serve'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(' s3 ls\n')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      expect(out).toContain(`  export AWS_CA_BUNDLE=${cert}   # the certificate is self-signed\n`);
      // The exports, pasted, are all the stowage CLI needs.
      const env = Object.fromEntries(
        [...out.matchAll(/^ {2}export (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]),
      );
      expect(Object.keys(env).sort()).toEqual([
        'AWS_ACCESS_KEY_ID',
        'AWS_CA_BUNDLE',
        'AWS_DEFAULT_REGION',
        'AWS_ENDPOINT_URL',
        'AWS_SECRET_ACCESS_KEY',
      ]);
      const mb = await runCli(['mb', 's3://from-banner'], { env: { HOME: dir, ...env }, cwd: dir });
      expect([mb.code, mb.stderr]).toEqual([0, '']);
      // Beside its stowage.yaml, with no variables at all, the CLI finds the local server
      // and trusts its server.tls.certFile.
      const local = await runCli(['ls'], { env: { HOME: dir }, cwd: dir });
      expect([local.code, local.stderr]).toEqual([0, '']);
      expect(local.stdout).toContain('from-banner');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('Ceph RGW over TLS: the CA bundle settings of the client', () => {
  let rgw: RgwServer;
  beforeAll(async () => {
    rgw = await startRgw({ tls: { certFile: cert, keyFile: key } });
  }, 600_000);
  afterAll(async () => rgw?.stop());

  it('the stowage CLI and S3StorageManager reach it with AWS_CA_BUNDLE or --ca-bundle, and fail without', async () => {
    const home = mkdtempSync(path.join(work, 'rgw-home-'));
    const env = {
      HOME: home,
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    };
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      runCli(['--endpoint-url', rgw.endpoint, ...args], { env: { ...env, ...extra }, cwd: home });
    expect(rgw.endpoint).toMatch(/^https:/);
    const mb = await cli(['mb', 's3://tls-rgw'], { AWS_CA_BUNDLE: cert });
    expect(mb.code, mb.stderr).toBe(0);
    const file = path.join(home, 'up.txt');
    writeFileSync(file, 'to RGW over TLS\n');
    const up = await cli(['--ca-bundle', cert, 'cp', file, 's3://tls-rgw/up.txt']);
    expect(up.code, up.stderr).toBe(0);
    const down = await cli(['cp', 's3://tls-rgw/up.txt', '-'], { AWS_CA_BUNDLE: cert });
    expect([down.code, down.stdout]).toEqual([0, 'to RGW over TLS\n']);
    // --ca-bundle covers both ends of a copy from a stowage.yaml store (stowage over TLS).
    writeFileSync(
      path.join(home, 'stowage.yaml'),
      [
        'stores:',
        '  local-tls:',
        `    endpoint: ${t.url}`,
        `    accessKeyId: ${TEST_KEY.accessKeyId}`,
        `    secretAccessKey: ${TEST_KEY.secretAccessKey}`,
        '',
      ].join('\n'),
    );
    const across = await cli([
      '--ca-bundle',
      cert,
      'cp',
      `s3://${BUCKET}/cli.txt`,
      's3://tls-rgw/from-stowage.txt',
      '--source-store',
      'local-tls',
    ]);
    expect(across.code, across.stderr).toBe(0);
    const copied = await cli(['cp', 's3://tls-rgw/from-stowage.txt', '-'], {
      AWS_CA_BUNDLE: cert,
    });
    expect(copied.stdout).toBe('over TLS from the stowage CLI\n');
    rmSync(path.join(home, 'stowage.yaml'));

    const untrusted = await cli(['ls', 's3://tls-rgw/']);
    expect(untrusted.code).toBe(7);
    expect(untrusted.stderr).toMatch(/the TLS certificate is not trusted; set AWS_CA_BUNDLE/);

    const m = await S3StorageManager.fromEnv({
      env: {
        ...env,
        AWS_ENDPOINT_URL: rgw.endpoint,
        AWS_CA_BUNDLE: cert,
        S3_BUCKET_NAME: 'tls-rgw',
      },
      homeDir: home,
      cwd: home,
    });
    try {
      const listed: string[] = [];
      for await (const o of m.list()) listed.push(o.key);
      expect(listed).toEqual(['from-stowage.txt', 'up.txt']);
    } finally {
      m.close();
    }
  });
});

describe('stowage serve and stowage config check with bad TLS files', () => {
  /** Runs `stowage serve` in-process with `tls` in a config file; it must not start. */
  async function serveWith(tls: { certFile: string; keyFile: string }) {
    const dir = mkdtempSync(path.join(work, 'bad-'));
    const config = path.join(dir, 'stowage.yaml');
    writeFileSync(
      config,
      [
        `dataDir: ${JSON.stringify(path.join(dir, 'data'))}`,
        'log: { level: silent }',
        'engine: { fsync: false }',
        'server:',
        '  port: 0',
        '  tls:',
        `    certFile: ${JSON.stringify(tls.certFile)}`,
        `    keyFile: ${JSON.stringify(tls.keyFile)}`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['serve'], { env: { STOWAGE_CONFIG: config }, cwd: dir });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout).not.toMatch(/Stowage S3 endpoint/);
    // One line naming the problem; no stack trace, no "internal error".
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/internal error/);
    // `config check` reads the files the same way, so a pipeline that gates on it is not
    // let through to a serve that then fails.
    const check = await runCli(['config', 'check'], { env: { STOWAGE_CONFIG: config }, cwd: dir });
    expect(check.code).toBe(2);
    expect(check.stderr).toBe(r.stderr);
    return r.stderr;
  }

  it('a missing certificate file names server.tls.certFile and the path', async () => {
    const missing = path.join(work, 'nope.crt');
    const stderr = await serveWith({ certFile: missing, keyFile: key });
    expect(stderr).toContain('server.tls.certFile');
    expect(stderr).toContain(missing);
    expect(stderr).toMatch(/\(E_CONFIG_INVALID\)/);
  });

  it('a missing key file names server.tls.keyFile and the path', async () => {
    const missing = path.join(work, 'nope.key');
    const stderr = await serveWith({ certFile: cert, keyFile: missing });
    expect(stderr).toContain('server.tls.keyFile');
    expect(stderr).toContain(missing);
  });

  it('a file that is not PEM, and a key that does not match the certificate, are refused', async () => {
    const garbage = path.join(work, 'garbage.crt');
    writeFileSync(garbage, 'not a certificate\n');
    expect(await serveWith({ certFile: garbage, keyFile: key })).toMatch(
      /server\.tls\.certFile.*garbage\.crt/,
    );
    expect(await serveWith({ certFile: cert, keyFile: garbage })).toMatch(
      /server\.tls\.keyFile .*garbage\.crt is not an unencrypted PEM private key/,
    );
    const other = makeCertificate(work, 'other');
    expect(await serveWith({ certFile: cert, keyFile: other.key })).toMatch(
      /server\.tls\.keyFile .* does not match server\.tls\.certFile/,
    );
    // A key of another type than the certificate's (RSA beside this EC certificate): OpenSSL
    // does not compare those, and the server started with every handshake failing.
    const rsaKey = path.join(work, 'rsa.key');
    execFileSync(OPENSSL, ['genpkey', '-algorithm', 'RSA', '-out', rsaKey], { stdio: 'pipe' });
    expect(await serveWith({ certFile: cert, keyFile: rsaKey })).toMatch(
      /server\.tls\.keyFile .*rsa\.key does not match server\.tls\.certFile .*\(the certificate is for another key\)/,
    );
  });
});
