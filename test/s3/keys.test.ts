/**
 * Access keys beyond root against a running server: keys made with `stowage keys` while the
 * server runs authenticate at once, deleted keys stop working, config-declared keys work.
 * What a key may do is the policy evaluator's business; here a key without a policy must
 * get AccessDenied (it authenticated) rather than InvalidAccessKeyId.
 */
import { ListBucketsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessKey } from '../../src/server/keys/manage.js';
import { existsSync } from 'node:fs';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DECLARED = {
  name: 'backup',
  accessKeyId: 'STWBACKUP00000000001',
  secretAccessKey: 'backup-secret-000000000000000000000000',
};

let t: TestServer;
const clients: S3Client[] = [];

beforeAll(async () => {
  t = await startTestServer({ server: { accessKeys: [DECLARED] } });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t.close();
});

function clientFor(key: { accessKeyId: string; secretAccessKey: string }): S3Client {
  const client = new S3Client({
    endpoint: t.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

/** The S3 error code a ListBuckets with `client` gets, or 'ok'. */
async function listBucketsOutcome(client: S3Client): Promise<string> {
  try {
    await client.send(new ListBucketsCommand({}));
    return 'ok';
  } catch (err) {
    if (err instanceof S3ServiceException) return err.name;
    throw err;
  }
}

describe('access keys with a running server', () => {
  it('refuses an unknown key with InvalidAccessKeyId', async () => {
    const outcome = await listBucketsOutcome(
      clientFor({ accessKeyId: 'STWUNKNOWN0000000001', secretAccessKey: 'x'.repeat(40) }),
    );
    expect(outcome).toBe('InvalidAccessKeyId');
  });

  it('authenticates a key created through the CLI while the server runs, until it is deleted', async () => {
    const created = await runCli([
      '--data-dir',
      t.dataDir,
      '--json',
      'keys',
      'create',
      '--name',
      'ci',
    ]);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { accessKeyId: string; secretAccessKey: string };
    const client = clientFor(key);
    // No policy: the key is known, so the request is signed correctly but not allowed.
    expect(await listBucketsOutcome(client)).toBe('AccessDenied');

    // A wrong secret for the same id is a signature error, proving the id was found.
    const wrong = clientFor({ accessKeyId: key.accessKeyId, secretAccessKey: 'y'.repeat(40) });
    expect(await listBucketsOutcome(wrong)).toBe('SignatureDoesNotMatch');

    const deleted = await runCli(['--data-dir', t.dataDir, 'keys', 'delete', key.accessKeyId]);
    expect(deleted.code).toBe(0);
    // The server re-checks a known key's file at most every 500 ms.
    const started = Date.now();
    let outcome = await listBucketsOutcome(client);
    while (outcome !== 'InvalidAccessKeyId' && Date.now() - started < 3000) {
      await new Promise((r) => setTimeout(r, 100));
      outcome = await listBucketsOutcome(client);
    }
    expect(outcome).toBe('InvalidAccessKeyId');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a data directory that does not exist (a mistyped --data-dir) for every keys command', async () => {
    const typo = `${t.dataDir}-typo`;
    for (const args of [
      ['keys', 'create', '--name', 'lost'],
      ['keys', 'list'],
      ['keys', 'show', 'STWNOSUCHKEY00000000'],
      ['keys', 'delete', 'STWNOSUCHKEY00000000'],
    ]) {
      const r = await runCli(['--data-dir', typo, ...args]);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toContain(`no data directory at ${typo}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(typo)).toBe(false);
  });

  it('authenticates a key created through the library on its very first request', async () => {
    const key = await createAccessKey(
      { dataDir: t.dataDir, declared: [DECLARED] },
      { name: 'first-request', policy: null },
    );
    expect(await listBucketsOutcome(clientFor(key))).toBe('AccessDenied');
    expect(t.server.keys.lookup(key.accessKeyId)?.arn).toBe(
      'arn:aws:iam::000000000000:user/first-request',
    );
  });

  it('authenticates a key declared in the config', async () => {
    expect(await listBucketsOutcome(clientFor(DECLARED))).toBe('AccessDenied');
    expect(t.server.keys.lookup(DECLARED.accessKeyId)?.name).toBe('backup');
  });

  it('keeps serving the last good keys when access-keys.json is corrupted', async () => {
    const key = await createAccessKey(
      { dataDir: t.dataDir, declared: [] },
      { name: 'survivor', policy: null },
    );
    const client = clientFor(key);
    expect(await listBucketsOutcome(client)).toBe('AccessDenied');
    writeFileSync(`${t.dataDir}/access-keys.json`, '{"version":1,"keys":[');
    await new Promise((r) => setTimeout(r, 600));
    expect(await listBucketsOutcome(client)).toBe('AccessDenied');
    expect(await listBucketsOutcome(t.client)).toBe('ok');
  });
});
