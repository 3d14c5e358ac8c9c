/**
 * `stowage serve` as a user runs it: a subprocess on a free port, credentials generated
 * once with mode 0600, a working endpoint, and a graceful stop on SIGTERM that lets an
 * upload in flight finish.
 */
import {
  ListBucketsCommand,
  PutObjectCommand,
  CreateBucketCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { patternBytes, tempDir } from '../helpers/engine.js';
import { connectRaw } from '../helpers/raw-socket.js';
import { waitUntil } from '../helpers/rgw-support.js';
import { s3Signer } from '../helpers/signed-fetch.js';
import { BIN, clientOf, exited, killAllServers, serve } from '../helpers/serve-process.js';

const dirs: Array<() => void> = [];
afterAll(() => {
  // A failed or timed-out test must not leave a server running.
  killAllServers();
  dirs.forEach((c) => c());
});

describe('stowage serve (subprocess)', () => {
  it('generates credentials once (0600), serves S3, and stops gracefully on SIGTERM', async () => {
    const made = tempDir('stowage-serve-');
    dirs.push(made.cleanup);
    // A data directory serve creates is the owner's alone (0700), as PostgreSQL's and restic's.
    const dir = path.join(made.dir, 'new', 'data');
    const first = await serve(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(dir)).mode & 0o777).toBe(0o700);
    expect(first.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.info.secretAccessKeyShownOnce).toMatch(/^[A-Za-z0-9]{40}$/);
    const file = path.join(dir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const client = new S3Client({
      endpoint: first.info.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: first.info.accessKeyId,
        secretAccessKey: first.info.secretAccessKeyShownOnce!,
      },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'graceful' }));
    // SIGTERM while a 30 MB upload is in flight: it completes, then the process exits 0.
    // The signal goes once 3 MiB of the body were taken: the request is surely under way
    // (a fixed delay raced the SDK's own start on a loaded machine: ECONNREFUSED).
    const body = patternBytes(30 * 1024 * 1024, 5);
    let underWay!: () => void;
    const started = new Promise<void>((r) => (underWay = r));
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let at = 0; at < body.length; at += 1024 * 1024) {
        if (at >= 3 * 1024 * 1024) underWay();
        yield body.subarray(at, at + 1024 * 1024);
      }
    }
    const upload = client.send(
      new PutObjectCommand({
        Bucket: 'graceful',
        Key: 'big.bin',
        Body: Readable.from(chunks()),
        ContentLength: body.length,
      }),
    );
    await started;
    first.child.kill('SIGTERM');
    await upload;
    expect(await exited(first.child)).toBe(0);
    client.destroy();

    // The second start reuses the stored pair and never prints the secret; a file made
    // readable by others meanwhile is set back to 0600.
    chmodSync(file, 0o644);
    const second = await serve(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(second.info.accessKeyId).toBe(first.info.accessKeyId);
    expect(second.info.secretAccessKeyShownOnce).toBeUndefined();
    const again = new S3Client({
      endpoint: second.info.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: first.info.accessKeyId,
        secretAccessKey: first.info.secretAccessKeyShownOnce!,
      },
    });
    expect(
      (await again.send(new HeadObjectCommand({ Bucket: 'graceful', Key: 'big.bin' })))
        .ContentLength,
    ).toBe(30 * 1024 * 1024);
    expect((await again.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([
      'graceful',
    ]);
    again.destroy();
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);

    // Deleting credentials.json replaces a lost or leaked root secret (serve.md): a new
    // pair is printed, the old one is refused, the data is untouched.
    rmSync(file);
    const third = await serve(dir);
    expect(third.info.accessKeyId).not.toBe(first.info.accessKeyId);
    expect(third.info.secretAccessKeyShownOnce).toMatch(/^[A-Za-z0-9]{40}$/);
    const rotated = clientOf(third.info, third.info.secretAccessKeyShownOnce!);
    expect(
      (await rotated.send(new HeadObjectCommand({ Bucket: 'graceful', Key: 'big.bin' })))
        .ContentLength,
    ).toBe(30 * 1024 * 1024);
    const old = new S3Client({
      endpoint: third.info.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: first.info.accessKeyId,
        secretAccessKey: first.info.secretAccessKeyShownOnce!,
      },
    });
    await expect(old.send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    old.destroy();
    rotated.destroy();
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toBe(0);
  }, 60_000);

  it('on SIGTERM closes connections with no request under way at once, keeps one that has', async () => {
    const { dir, cleanup } = tempDir('stowage-shutdown-');
    dirs.push(cleanup);
    const s = await serve(path.join(dir, 'data'), {
      STOWAGE_ROOT_ACCESS_KEY: 'STWSHUTKEY',
      STOWAGE_ROOT_SECRET_KEY: 'shutdown-secret-0123',
    });
    const port = Number(new URL(s.info.url).port);
    const silent = await Promise.all(Array.from({ length: 20 }, () => connectRaw(port)));
    const partial = await Promise.all(Array.from({ length: 5 }, () => connectRaw(port)));
    for (const c of partial) c.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    // One request under way: an upload whose body has not come yet.
    const client = clientOf(s.info, 'shutdown-secret-0123');
    await client.send(new CreateBucketCommand({ Bucket: 'shutdown' }));
    const url = new URL(
      await getSignedUrl(client, new PutObjectCommand({ Bucket: 'shutdown', Key: 'k' })),
    );
    client.destroy();
    const uploading = await connectRaw(port);
    uploading.socket.write(
      `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 10\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    await Promise.all([...silent, ...partial].map((c) => c.closedWithin(5000)));
    expect(Date.now() - t0).toBeLessThan(5000);
    // The request under way was not cut: its upload completes, then all is shut.
    expect(uploading.socket.destroyed).toBe(false);
    uploading.socket.write('0123456789');
    await uploading.waitFor(/HTTP\/1\.1 200/, 'the answer to the request under way');
    expect(await exited(s.child)).toBe(0);
  }, 60_000);

  it('uses STOWAGE_ROOT_ACCESS_KEY / STOWAGE_ROOT_SECRET_KEY and refuses a port in use', async () => {
    const { dir, cleanup } = tempDir('stowage-serve-');
    dirs.push(cleanup);
    const s = await serve(dir, {
      STOWAGE_ROOT_ACCESS_KEY: 'STWDEPLOYKEY',
      STOWAGE_ROOT_SECRET_KEY: 'deployment-secret-123',
    });
    expect(s.info.accessKeyId).toBe('STWDEPLOYKEY');
    expect(s.info.secretAccessKeyShownOnce).toBeUndefined();
    expect(existsSync(path.join(dir, 'credentials.json'))).toBe(false);
    const port = new URL(s.info.url).port;
    const clash = spawn(
      process.execPath,
      [BIN, 'serve', '--port', port, '--data-dir', path.join(dir, 'other')],
      {
        env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    clash.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(clash)).toBe(2);
    expect(err).toMatch(/already in use/);
    expect(err).not.toMatch(/\n\s+at /);
    // The root secret the failed start generated was never shown: it is not kept, and the
    // first start that serves generates and prints one.
    expect(existsSync(path.join(dir, 'other', 'credentials.json'))).toBe(false);
    const next = await serve(path.join(dir, 'other'), {});
    expect(next.info.secretAccessKeyShownOnce).toMatch(/^[A-Za-z0-9]{40}$/);
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
  }, 60_000);

  it('prints a shell snippet that works pasted as it is, on the first start and later ones', async () => {
    const made = tempDir('stowage-serve-snippet-');
    dirs.push(made.cleanup);
    const dir = path.join(made.dir, "it's data");
    /** The banner's `export` lines of one start (stopped once printed). */
    const exportsOfAStart = async (): Promise<string> => {
      const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitUntil('the start-up message', 30_000, () => out.includes('aws --endpoint-url'));
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      return out
        .split('\n')
        .filter((l) => l.trim().startsWith('export '))
        .join('\n');
    };
    const secretAfter = (snippet: string): string =>
      spawnSync('bash', ['-c', `${snippet}\nprintf %s "$AWS_SECRET_ACCESS_KEY"`], {
        encoding: 'utf8',
      }).stdout;
    const first = await exportsOfAStart();
    const secret = JSON.parse(readFileSync(path.join(dir, 'credentials.json'), 'utf8')) as {
      secretAccessKey: string;
    };
    expect(secretAfter(first)).toBe(secret.secretAccessKey);
    // A later start does not print the secret, but its snippet still sets it (it was
    // `export AWS_SECRET_ACCESS_KEY=<secret>`, a redirection in a shell).
    const later = await exportsOfAStart();
    expect(later).not.toContain(secret.secretAccessKey);
    expect(secretAfter(later)).toBe(secret.secretAccessKey);
  });

  it('refuses a hand-broken credentials.json naming the file and field, never its text', async () => {
    const made = tempDir('stowage-serve-credfile-');
    dirs.push(made.cleanup);
    const file = path.join(made.dir, 'credentials.json');
    /** What `stowage serve` says about `text` in credentials.json: its stderr, exit 2. */
    const refusal = (text: string): string => {
      writeFileSync(file, text, { mode: 0o600 });
      const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', made.dir], {
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).not.toContain('    at ');
      return r.stderr.trim();
    };
    // A quote lost in an edit: V8's message quoted the secret's first characters.
    const broken = refusal('{"accessKeyId": "ROOTKEY1", "secretAccessKey":TOPSECRETvalue}');
    expect(broken).toMatch(/credentials\.json is not valid JSON; it holds \{"accessKeyId"/);
    expect(broken).not.toMatch(/TOPSEC/);
    // Held to the rules of the configured root key (STOWAGE_ROOT_*).
    expect(refusal('{"accessKeyId": "ABC-DEF", "secretAccessKey": "long-enough-secret"}')).toMatch(
      /credentials\.json: accessKeyId expected 3 to 128 letters and digits/,
    );
    const short = refusal('{"accessKeyId": "ROOTKEY1", "secretAccessKey": "s3cr"}');
    expect(short).toMatch(/credentials\.json: secretAccessKey expected at least 8 characters/);
    expect(short).not.toContain('s3cr');
    // Not an object at all: said so (it read "the document is missing").
    expect(refusal('5')).toMatch(/credentials\.json: the document .*expected object/);
    expect(refusal('{"accessKeyId": "ROOTKEY1"}')).toMatch(
      /credentials\.json: secretAccessKey is missing/,
    );
  });

  it('says once what to set when requests name a bucket by host name under an unknown domain', async () => {
    const { dir, cleanup } = tempDir('stowage-serve-');
    dirs.push(cleanup);
    const key = { accessKeyId: 'STWHOSTHINT', secretAccessKey: 'host-hint-secret-123' };
    const s = await serve(dir, {
      STOWAGE_ROOT_ACCESS_KEY: key.accessKeyId,
      STOWAGE_ROOT_SECRET_KEY: key.secretAccessKey,
    });
    const client = clientOf(s.info, key.secretAccessKey);
    await client.send(new CreateBucketCommand({ Bucket: 'photos' }));
    client.destroy();
    const { port } = new URL(s.info.url);
    // What the JS SDK sends for ListObjects of bucket photos at endpoint s3.studio.test,
    // which the server, left at virtualHostDomain localhost, serves path-style.
    const virtualHosted = async (): Promise<number> => {
      const signed = await s3Signer(key).sign({
        method: 'GET',
        protocol: 'http:',
        hostname: 'photos.s3.studio.test',
        port: Number(port),
        path: '/',
        query: {},
        headers: {
          host: `photos.s3.studio.test:${port}`,
          'x-amz-content-sha256': createHash('sha256').update('').digest('hex'),
        },
      });
      return new Promise((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, path: '/', headers: signed.headers },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.end();
      });
    };
    expect(await virtualHosted()).toBe(200); // ListBuckets, not ListObjects of photos
    expect(await virtualHosted()).toBe(200);
    const hint =
      'it starts with the name of bucket \\"photos\\": if clients address buckets by host name, set server.virtualHostDomain to \\"s3.studio.test\\"';
    await waitUntil('the hint in the log', 2000, () => s.stderr().includes(hint));
    expect(s.stderr().split(hint).length - 1).toBe(1);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
  });

  it('`engine put` of a large file (hashed on worker threads) stores it before the process exits', async () => {
    const { dir, cleanup } = tempDir('stowage-put-');
    dirs.push(cleanup);
    const body = patternBytes(12 * 1024 * 1024, 9);
    writeFileSync(path.join(dir, 'big.bin'), body);
    const env = { PATH: process.env.PATH, STOWAGE_DATA_DIR: path.join(dir, 'data') };
    const run = (...args: string[]): Promise<number | null> => {
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir, stdio: 'ignore' });
      return exited(child);
    };
    expect(await run('engine', 'mb', 'large')).toBe(0);
    expect(await run('engine', 'put', 'large', 'big.bin', 'big.bin')).toBe(0);
    expect(await run('engine', 'get', 'large', 'big.bin', 'back.bin')).toBe(0);
    expect(readFileSync(path.join(dir, 'back.bin')).equals(body)).toBe(true);
  }, 60_000);
});
