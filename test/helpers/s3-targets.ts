/**
 * A contract-suite helper for client-side code: the same tests against every S3 server
 * we can start here, (a) our embedded `stowage serve` and (b) Ceph RGW, an independent
 * implementation (test/helpers/rgw.ts). Code that passes both talks S3, not "Stowage".
 *
 * How a test file uses it:
 *
 * ```ts
 * import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
 * import { expect, it } from 'vitest';
 * import { describeS3Targets } from '../helpers/s3-targets.js';
 *
 * describeS3Targets('uploads', (getTarget) => {
 *   it('puts an object', async () => {
 *     const target = getTarget();            // only inside hooks/tests: started in beforeAll
 *     const s3 = target.newClient();         // path-style + the target's checksum policy
 *     const bucket = target.uniqueBucket('up');
 *     await s3.send(new CreateBucketCommand({ Bucket: bucket }));
 *     await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a', Body: 'x' }));
 *     if (target.kind === 'rgw') { ... }     // a known difference: say why in a comment
 *   });
 * });
 * ```
 *
 * Each target gets its own `describe('<name> [stowage|rgw]')`; the server starts in its
 * beforeAll (300 s timeout: the first RGW run installs Ceph's Debian packages) and stops
 * in its afterAll, which also destroys every client made by `newClient()`. Code under test
 * that builds its own S3Client takes `endpoint`, `region`, `credentials` and `quirks`.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { startRgw } from './rgw.js';
import { startTestServer, TEST_KEY } from './server.js';

/** Which server a target is. */
export type S3TargetKind = 'stowage' | 'rgw';

/** What a client must do differently for this server: the per-store quirks of issue 4. */
export interface S3TargetQuirks {
  /** Both servers here answer on 127.0.0.1 only: no virtual-host buckets. */
  forcePathStyle: true;
  /**
   * The SDK's request checksum policy. RGW (Ceph 16) needs WHEN_REQUIRED: it rejects the
   * SDK's default aws-chunked uploads with a trailing CRC (test/rgw/harness.test.ts).
   */
  checksumPolicy: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

/** One running S3 server and how to talk to it. */
export interface S3Target {
  kind: S3TargetKind;
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  quirks: S3TargetQuirks;
  /** A client configured with the quirks; `overrides` win. Destroyed in afterAll. */
  newClient(overrides?: Partial<S3ClientConfig>): S3Client;
  /** A fresh valid bucket name `<prefix>-<n>-<random>` (lowercase, at most 63 chars). */
  uniqueBucket(prefix?: string): string;
}

/** Which targets to run (default both), e.g. to list a target a suite cannot run on. */
export interface DescribeS3TargetsOptions {
  kinds?: S3TargetKind[];
}

interface Started {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 60_000;

async function startKind(kind: S3TargetKind): Promise<Started> {
  if (kind === 'stowage') {
    const t = await startTestServer();
    t.client.destroy();
    const credentials = { ...TEST_KEY };
    return { endpoint: t.url, region: 'us-east-1', credentials, stop: () => t.close() };
  }
  const rgw = await startRgw();
  const { accessKeyId, secretAccessKey } = rgw;
  return {
    endpoint: rgw.endpoint,
    region: rgw.region,
    credentials: { accessKeyId, secretAccessKey },
    stop: rgw.stop,
  };
}

const QUIRKS: Record<S3TargetKind, S3TargetQuirks> = {
  stowage: { forcePathStyle: true, checksumPolicy: 'WHEN_SUPPORTED' },
  rgw: { forcePathStyle: true, checksumPolicy: 'WHEN_REQUIRED' },
};

let bucketCounter = 0;

/** A bucket name that no other test (in this or a parallel file) uses. */
function uniqueBucketName(prefix = 'test'): string {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(prefix)) {
    throw new Error(
      `uniqueBucket: prefix '${prefix}' must be 1-40 of [a-z0-9-], not starting with '-'`,
    );
  }
  bucketCounter += 1;
  return `${prefix}-${bucketCounter}-${randomBytes(4).toString('hex')}`;
}

/** Runs `body` once per target, inside a describe block whose hooks start and stop the server. */
export function describeS3Targets(
  name: string,
  body: (getTarget: () => S3Target) => void,
  options: DescribeS3TargetsOptions = {},
): void {
  for (const kind of options.kinds ?? (['stowage', 'rgw'] as const)) {
    describe(`${name} [${kind}]`, () => {
      let started: Started | undefined;
      let target: S3Target | undefined;
      const clients: S3Client[] = [];

      beforeAll(async () => {
        started = await startKind(kind);
        const { endpoint, region, credentials } = started;
        const quirks = QUIRKS[kind];
        target = {
          kind,
          endpoint,
          region,
          credentials,
          quirks,
          newClient(overrides = {}) {
            const client = new S3Client({
              endpoint,
              region,
              credentials,
              forcePathStyle: quirks.forcePathStyle,
              requestChecksumCalculation: quirks.checksumPolicy,
              ...overrides,
            });
            clients.push(client);
            return client;
          },
          uniqueBucket: uniqueBucketName,
        };
      }, START_TIMEOUT_MS);

      afterAll(async () => {
        for (const client of clients.splice(0)) client.destroy();
        await started?.stop();
      }, STOP_TIMEOUT_MS);

      body(() => {
        if (!target)
          throw new Error(`${kind} target not started (use getTarget() in a test or hook)`);
        return target;
      });
    });
  }
}
