/**
 * Downloads of objects stored with S3's 2025 checksum algorithms. The SDK asks for checksums
 * on every GET and threw "not supported by the client" for SHA512 and the XXHASHes, so
 * `stowage cp` of such an object failed (after retrying for 19 s). src/client/sdk-checksums.ts
 * hands the SDK implementations: the GET is validated instead. Run against both S3 servers;
 * a stub answers the one thing no real server sends, a checksum that does not match.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, resolveStore } from '../../src/client/index.js';
import { configSchema } from '../../src/config/schema.js';
import { cliFor } from '../helpers/cli-target.js';
import { tempDir } from '../helpers/engine.js';
import { describeS3Targets } from '../helpers/s3-targets.js';

const home = tempDir('stowage-sdk-checksums-');
afterAll(() => home.cleanup());

/** The AWS SDK's own implementations (what a boto3 or SDK user's upload carries). */
class Sha512 {
  private readonly hash = createHash('sha512');
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {}
}
const UPLOADER_ALGORITHMS = {
  SHA512: Sha512,
  XXHASH64: Xxh64,
  XXHASH3: Xxh3_64,
  XXHASH128: Xxh3_128,
};
const ALGORITHMS = ['SHA512', 'XXHASH64', 'XXHASH3', 'XXHASH128'] as const;

describeS3Targets("downloads of objects stored with S3's 2025 checksums", (getTarget) => {
  it('cp of an object stored with SHA512 or an XXHASH downloads and checks out', async () => {
    const target = getTarget();
    const uploader = target.newClient({ checksumAlgorithms: UPLOADER_ALGORITHMS });
    const bucket = target.uniqueBucket('sums2025');
    await uploader.send(new CreateBucketCommand({ Bucket: bucket }));
    const cli = cliFor(target, home.dir);
    for (const alg of ALGORITHMS) {
      const body = `stored with ${alg}\n`.repeat(1000);
      await uploader.send(
        new PutObjectCommand({ Bucket: bucket, Key: alg, Body: body, ChecksumAlgorithm: alg }),
      );
      const r = await cli(['cp', `s3://${bucket}/${alg}`, '-']);
      expect([alg, r.code, r.stderr]).toEqual([alg, 0, '']);
      expect(r.stdout === body, alg).toBe(true);
      if (target.kind === 'stowage') {
        // The server gave the checksum back, so the download above was validated.
        const got = await uploader.send(
          new GetObjectCommand({ Bucket: bucket, Key: alg, ChecksumMode: 'ENABLED' }),
        );
        await got.Body!.transformToString();
        expect((got as unknown as Record<string, unknown>)[`Checksum${alg}`], alg).toBeTypeOf(
          'string',
        );
      }
      // Ceph 16 stores no checksum of these algorithms: the GET carries none to check.
    }
  });
});

describe('a GET whose 2025 checksum does not match the body', () => {
  const body = Buffer.from('the bytes the server sends');
  let headers: Record<string, string> = {};
  let server: http.Server;
  let endpoint: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, {
        'content-length': body.length,
        etag: '"0123456789abcdef0123456789abcdef"',
        ...headers,
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function download(): Promise<string> {
    const config = configSchema.parse({});
    const store = await resolveStore({
      config,
      env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
      homeDir: home.dir,
      flags: { endpointUrl: endpoint },
    });
    const s3 = createS3Client(store, { maxAttempts: 1 });
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
      return await got.Body!.transformToString();
    } finally {
      s3.destroy();
    }
  }

  it.each(ALGORITHMS)('is refused for %s, and the right value is taken', async (alg) => {
    const header = `x-amz-checksum-${alg.toLowerCase()}`;
    const digest = async (data: Uint8Array): Promise<string> => {
      const h = new UPLOADER_ALGORITHMS[alg]();
      h.update(data);
      return Buffer.from(await h.digest()).toString('base64');
    };
    headers = { [header]: await digest(Buffer.from('other bytes')) };
    await expect(download()).rejects.toThrow(/Checksum mismatch/);
    headers = { [header]: await digest(body) };
    expect(await download()).toBe(body.toString());
  });
});
