import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { desiredState } from '../../src/bucketconfig/normalize.js';
import { PRESETS, STARTER_YAML } from '../../src/bucketconfig/presets/index.js';
import { validateBuckets } from '../../src/bucketconfig/validate.js';
import { loadConfig } from '../../src/config/load.js';
import { runCli } from '../helpers/run-cli.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'stowage-init-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/** Each preset's declared buckets and the number of validation warnings it is expected to have. */
const EXPECTED: Record<string, { buckets: string[]; warnings: number }> = {
  ziggie: {
    buckets: [
      'ziggie-cloud-assets',
      'ziggie-cloud-backups',
      'ziggie-cloud-logs',
      'ziggie-cloud-backups-replica',
    ],
    warnings: 2,
  },
  'creative-pipeline': { buckets: ['your-creative-assets-bucket'], warnings: 0 },
  marketplace: {
    buckets: ['localex-storage', 'localex-backup', 'localex-storage-logs'],
    warnings: 0,
  },
  starter: { buckets: ['my-bucket'], warnings: 0 },
};

async function initAndCheck(preset: string | undefined): Promise<void> {
  const name = preset ?? 'starter';
  const args = preset ? ['init', '--preset', preset] : ['init'];
  const r = await runCli(args, { cwd });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const file = path.join(cwd, 'stowage.yaml');
  const what = preset ? `preset "${preset}"` : 'the starter';
  expect(r.stdout).toBe(`wrote ${file} (${what})\nnext: stowage validate, stowage plan\n`);

  const text = readFileSync(file, 'utf8');
  const raw = parse(text) as { buckets: Record<string, unknown>; stores?: unknown };
  expect(Object.keys(raw.buckets)).toEqual(EXPECTED[name]!.buckets);
  expect(raw.stores).toBeUndefined(); // the stores: example is commented out
  expect(text).toMatch(/^# stores:$/m);

  const config = await loadConfig({ configPath: file, env: {}, cwd });
  const { errors, warnings } = validateBuckets(config);
  expect(errors).toEqual([]);
  expect(warnings).toHaveLength(EXPECTED[name]!.warnings);
  expect(desiredState(config).map((b) => b.name)).toEqual(EXPECTED[name]!.buckets);

  const v = await runCli(['validate'], { cwd });
  expect(v.code).toBe(0);
  expect(v.stdout.trim().split('\n').at(-1)).toBe(
    `${file}: ok, ${EXPECTED[name]!.buckets.length} bucket(s), ${EXPECTED[name]!.warnings} warning(s)`,
  );
}

describe('stowage init', () => {
  it.each(PRESETS.map((p) => p.name))('writes the %s preset, which validates', async (preset) => {
    await initAndCheck(preset);
  });

  it('writes the starter without --preset', async () => {
    await initAndCheck(undefined);
  });

  it('has the seed designs in the presets', async () => {
    const file = path.join(cwd, 'ziggie.yaml');
    expect((await runCli(['init', '--preset', 'ziggie', '-o', file], { cwd })).code).toBe(0);
    const [assets, backups, , replica] = desiredState(
      await loadConfig({ configPath: file, env: {}, cwd }),
    );
    expect(assets!.cors?.CORSRules?.[0]?.AllowedOrigins).toEqual([
      'https://ziggie.cloud',
      'https://*.ziggie.cloud',
      'http://localhost:*',
    ]);
    expect(assets!.intelligentTiering?.[0]?.Filter).toEqual({ Prefix: 'game-assets/' });
    const sids = (assets!.policy?.Statement as { Sid: string }[]).map((s) => s.Sid);
    expect(sids).toEqual(['StowagePublicRead', 'CloudFrontOriginAccess']);
    expect(backups!.versioning).toEqual({ Status: 'Enabled' });
    expect(backups!.lifecycle?.Rules?.map((r) => r.ID)).toEqual([
      'BackupArchival',
      'ComfyUICleanup',
    ]);
    expect(backups!.logging?.LoggingEnabled?.TargetBucket).toBe('ziggie-cloud-logs');
    expect(backups!.inventory?.[0]?.Schedule).toEqual({ Frequency: 'Daily' });
    expect(backups!.replication?.Rules?.[0]?.Filter).toEqual({ Prefix: 'critical/' });
    expect(replica!.versioning).toEqual({ Status: 'Enabled' });

    const market = path.join(cwd, 'market.yaml');
    expect((await runCli(['init', '--preset', 'marketplace', '-o', market], { cwd })).code).toBe(0);
    const [storage] = desiredState(await loadConfig({ configPath: market, env: {}, cwd }));
    const temp = storage!.lifecycle?.Rules?.find((r) => r.ID === 'TempFilesCleanup');
    expect(temp?.Expiration).toEqual({ Days: 1 });
    const items = storage!.lifecycle?.Rules?.find((r) => r.ID === 'ItemsToGlacier');
    expect(items?.Transitions).toEqual([{ Days: 365, StorageClass: 'GLACIER' }]);
    expect(storage!.prefixes).toEqual(['items/', 'profiles/', 'temp/']);
  });

  it('refuses to overwrite an existing file (exit 2)', async () => {
    const file = path.join(cwd, 'stowage.yaml');
    writeFileSync(file, 'dataDir: ./mine\n');
    const r = await runCli(['init', '--preset', 'ziggie'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `${file} already exists; use --force to overwrite it or --output to write another file`,
    );
    expect(readFileSync(file, 'utf8')).toBe('dataDir: ./mine\n');
  });

  it('overwrites with --force', async () => {
    const file = path.join(cwd, 'out.yaml');
    writeFileSync(file, 'dataDir: ./mine\n');
    const r = await runCli(['init', '--output', 'out.yaml', '--force'], { cwd });
    expect(r.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(STARTER_YAML);
  });

  it('lists the presets for an unknown one (exit 2) and writes nothing', async () => {
    const r = await runCli(['init', '--preset', 'nope'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'unknown preset "nope": expected one of ziggie, creative-pipeline, marketplace',
    );
    expect(existsSync(path.join(cwd, 'stowage.yaml'))).toBe(false);
  });

  it('prints the result as JSON with --json', async () => {
    const r = await runCli(['init', '--preset', 'marketplace', '--json'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: path.join(cwd, 'stowage.yaml'),
      preset: 'marketplace',
      next: ['stowage validate', 'stowage plan'],
    });
  });
});
