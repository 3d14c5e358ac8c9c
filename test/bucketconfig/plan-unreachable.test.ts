/**
 * `stowage plan` and `apply` when the store does not answer: one clear error for the bucket
 * (not one per sub-resource), exit 1, nothing applied.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('plan and apply against a store that does not answer', () => {
  let work: string;
  let endpoint: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'stowage-plan-unreachable-'));
    endpoint = `http://127.0.0.1:${await closedPort()}`;
    writeFileSync(
      path.join(work, 'stowage.yaml'),
      'buckets:\n  assets1:\n    versioning: Enabled\n    tags: { team: games }\n',
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const cli = (...args: string[]) =>
    runCli(['--endpoint-url', endpoint, ...args], {
      env: { HOME: work, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
      cwd: work,
    });

  it('plan reports one bucket-level error naming the unreachable store (exit 1)', async () => {
    const r = await cli('plan', '--json');
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout) as {
      errors: number;
      buckets: { bucket: string; changes: unknown[]; error?: { code: string; message: string } }[];
    };
    expect(body.errors).toBe(1);
    expect(body.buckets[0]).toMatchObject({
      bucket: 'assets1',
      changes: [],
      error: { code: 'E_NETWORK' },
    });
    expect(body.buckets[0]!.error!.message).toContain('cannot reach the store (ECONNREFUSED)');
  });

  it('apply names that bucket as not applied and applies nothing', async () => {
    const r = await cli('apply', '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: bucket "assets1" was not applied: s3://assets1/: cannot reach the store',
    );
    expect(r.stderr).toMatch(/^apply: 0 change\(s\) made, 1 error\(s\)$/m);
  });
});
