import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const ZIGGIE = fileURLToPath(new URL('../fixtures/bucketconfig/ziggie.yaml', import.meta.url));

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'stowage-validate-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function writeConfig(yaml: string): string {
  const file = path.join(cwd, 'stowage.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('stowage validate', () => {
  it('accepts seed 000 with warnings (exit 0)', async () => {
    const r = await runCli(['validate', '--config', ZIGGIE], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain(
      'warning: bucket "ziggie-cloud-backups", lifecycle rule "BackupArchival", transitions[0].storageClass: objects under 128 KB moved to GLACIER_IR are billed as 128 KB each; add filter objectSizeGreaterThan: 131072 to keep them in STANDARD',
    );
    expect(lines.at(-1)).toBe(`${ZIGGIE}: ok, 4 bucket(s), 2 warning(s)`);
    expect(lines.filter((l) => l.startsWith('error:'))).toEqual([]);
  });

  it('prints one error per line and exits 2', async () => {
    writeConfig(`
buckets:
  assets1:
    publicRead: [game-assets/]
    publicAccessBlock: true
    lifecycle:
      - id: tmp
        filter: { objectSizeGreaterThan: 131072 }
        transitions: [{ after: 7d, storageClass: STANDARD_IA }]
`);
    const r = await runCli(['validate'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      'error: bucket "assets1", policy: the policy makes the bucket public (statement "StowagePublicRead") but publicAccessBlock.blockPublicPolicy is true, so S3 would refuse it with AccessDenied',
      'error: bucket "assets1", lifecycle rule "tmp", transitions[0].days: STANDARD_IA needs at least 30 days, got 7 (S3 refuses earlier transitions to infrequent access)',
      `${path.join(cwd, 'stowage.yaml')}: 2 error(s), 0 warning(s)`,
    ]);
  });

  it('reports errors and warnings as JSON with --json', async () => {
    writeConfig(`
buckets:
  assets1:
    objectLock: true
    inventory: [{ id: daily, destination: logs1 }]
`);
    const r = await runCli(['validate', '--json'], { cwd });
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({
      ok: false,
      buckets: 1,
      errors: [
        {
          bucket: 'assets1',
          section: 'objectLock',
          field: 'objectLock',
          message:
            'object lock needs versioning: Enabled (S3 turns versioning on with object lock and cannot suspend it)',
        },
      ],
      warnings: [
        {
          bucket: 'assets1',
          section: 'inventory',
          ruleId: 'daily',
          field: 'destination.bucket',
          message:
            'bucket "logs1" is not declared in this file; plan checks that it exists in the store',
        },
      ],
    });
  });

  it('names the field of a bad unit (E_CONFIG_INVALID, exit 2)', async () => {
    writeConfig(`
buckets:
  assets1:
    lifecycle: [{ id: tmp, expiration: 6m }]
`);
    const r = await runCli(['validate'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('buckets.assets1.lifecycle.0.expiration');
    expect(r.stderr).toContain('months are ambiguous');
    expect(r.stderr).toContain('(E_CONFIG_INVALID)');
  });

  it('is valid with no buckets declared', async () => {
    writeConfig('dataDir: ./data\n');
    const r = await runCli(['validate'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok, 0 bucket(s), 0 warning(s)');
  });
});
