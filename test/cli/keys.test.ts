/**
 * `stowage keys …` end to end: the built CLI in a subprocess (`npm run build` first), over
 * a temporary data directory, with good and bad input.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { SEED_000_VPS_POLICY } from '../fixtures/seed-policies.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { dir, cleanup } = tempDir('stowage-cli-keys-');
const dataDir = path.join(dir, 'data');

/** Seed 000 §10.1: the least-privilege IAM policy of the VPS sync user. */
const SEED_POLICY = SEED_000_VPS_POLICY;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `stowage --data-dir <dataDir> <args>` with `input` on stdin. */
function stowage(
  args: string[],
  options: { input?: string; cwd?: string; dataDir?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [path.join(root, 'bin/stowage.cjs'), '--data-dir', options.dataDir ?? dataDir, ...args],
      { cwd: options.cwd ?? dir, env: { PATH: process.env.PATH ?? '' } },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

beforeAll(() => {
  if (!existsSync(`${root}dist/cli/main.js`)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before this test');
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dir, 'iam-policy.json'), JSON.stringify(SEED_POLICY, null, 2));
});
afterAll(() => cleanup());

describe('stowage keys (subprocess)', () => {
  let vpsId = '';
  let vpsSecret = '';

  it('creates a key with a policy file and prints its secret once with an env snippet', async () => {
    const r = await stowage([
      'keys',
      'create',
      '--name',
      'ziggie-vps-sync',
      '--policy',
      'iam-policy.json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    vpsId = /Access key id: +(STW[A-Z0-9]{17})\n/.exec(r.stdout)?.[1] ?? '';
    vpsSecret = /Secret access key: +([A-Za-z0-9]{40})\n/.exec(r.stdout)?.[1] ?? '';
    expect(vpsId).not.toBe('');
    expect(vpsSecret).not.toBe('');
    expect(r.stdout).toContain(`export AWS_ACCESS_KEY_ID=${vpsId}\n`);
    expect(r.stdout).toContain(`export AWS_SECRET_ACCESS_KEY=${vpsSecret}\n`);
    expect(statSync(path.join(dataDir, 'access-keys.json')).mode & 0o777).toBe(0o600);
  });

  it('creates a key with --json (one object, secret included) and a policy from stdin', async () => {
    const r = await stowage(['--json', 'keys', 'create', '--name', 'ci', '--policy', '-'], {
      input: JSON.stringify(SEED_POLICY),
    });
    expect(r.code).toBe(0);
    const key = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(key).toMatchObject({ name: 'ci', hasPolicy: true });
    expect(key.accessKeyId).toMatch(/^STW[A-Z0-9]{17}$/);
    expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('lists keys without secrets, as text and as JSON', async () => {
    const text = await stowage(['keys', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^NAME +ACCESS KEY ID +CREATED +POLICY +SOURCE\n/);
    expect(text.stdout).toMatch(new RegExp(`ziggie-vps-sync +${vpsId} +\\S+ +yes +file`));
    expect(text.stdout).not.toContain(vpsSecret);
    const json = await stowage(['--json', 'keys', 'list']);
    const list = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(list.map((k) => k.name)).toEqual(['ziggie-vps-sync', 'ci']);
    expect(list[0]).toEqual({
      name: 'ziggie-vps-sync',
      accessKeyId: vpsId,
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      hasPolicy: true,
      source: 'file',
    });
    expect(json.stdout).not.toContain(vpsSecret);
  });

  it('shows a key with its policy but not its secret', async () => {
    const r = await stowage(['keys', 'show', vpsId]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Name:           ziggie-vps-sync');
    expect(r.stdout).toContain('"arn:aws:s3:::ziggie-cloud-backups/*"');
    expect(r.stdout).not.toContain(vpsSecret);
    const json = JSON.parse((await stowage(['--json', 'keys', 'show', vpsId])).stdout) as {
      policy: unknown;
    };
    expect(json.policy).toEqual(SEED_POLICY);
  });

  it('replaces a policy from a file or stdin', async () => {
    const narrow = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a/*' }],
    };
    const r = await stowage(['keys', 'set-policy', vpsId, '-'], { input: JSON.stringify(narrow) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`set the policy of access key ${vpsId}`);
    const shown = JSON.parse((await stowage(['--json', 'keys', 'show', vpsId])).stdout) as {
      policy: unknown;
    };
    expect(shown.policy).toEqual(narrow);
  });

  it.each([
    [
      'a duplicate name',
      ['keys', 'create', '--name', 'ci'],
      4,
      'an access key named "ci" already exists (E_ACCESS_KEY_EXISTS)',
    ],
    [
      'a bad name',
      ['keys', 'create', '--name', 'no spaces'],
      2,
      'invalid key name "no spaces": use 1 to 64 characters',
    ],
    ['a missing --name', ['keys', 'create'], 2, "required option '--name <name>' not specified"],
    [
      'an unreadable policy file',
      ['keys', 'create', '--name', 'x', '--policy', 'missing.json'],
      2,
      'cannot read policy file missing.json: it does not exist (E_INVALID_ARGUMENT)',
    ],
    [
      'a policy file that is a directory',
      ['keys', 'create', '--name', 'x', '--policy', '.'],
      2,
      'cannot read policy file .: it is a directory',
    ],
    [
      'an unknown key to delete',
      ['keys', 'delete', 'STWNOSUCHKEY00000000'],
      3,
      'no access key STWNOSUCHKEY00000000 (E_NO_SUCH_ACCESS_KEY)',
    ],
    ['an unknown key to show', ['keys', 'show', 'STWNOSUCHKEY00000000'], 3, 'E_NO_SUCH_ACCESS_KEY'],
    [
      'an unknown key to re-policy',
      ['keys', 'set-policy', 'STWNOSUCHKEY00000000', 'iam-policy.json'],
      3,
      'E_NO_SUCH_ACCESS_KEY',
    ],
  ])('refuses %s', async (_what, args, code, message) => {
    const r = await stowage(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it('refuses a malformed policy, naming the statement, and stores nothing', async () => {
    const bad = {
      ...SEED_POLICY,
      Statement: [
        SEED_POLICY.Statement[0],
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Principal: '*' },
      ],
    };
    const r = await stowage(['keys', 'create', '--name', 'bad-policy', '--policy', '-'], {
      input: JSON.stringify(bad),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'stowage: policy from stdin: Policy document should not specify a principal (statement 2) (E_MALFORMED_POLICY)\n',
    );
    // A condition value its operator can never compare: a Deny on it would deny nothing.
    const neverMet = {
      ...SEED_POLICY,
      Statement: [
        SEED_POLICY.Statement[0],
        {
          Effect: 'Deny',
          Action: 's3:*',
          Resource: '*',
          Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.*' } },
        },
      ],
    };
    const never = await stowage(['keys', 'set-policy', vpsId, '-'], {
      input: JSON.stringify(neverMet),
    });
    expect(never.code).toBe(2);
    expect(never.stderr).toContain(
      'Invalid Condition value: "10.0.0.*" under "NotIpAddress" for "aws:SourceIp" (statement 2) is not an IP address or CIDR block',
    );
    const notJson = await stowage(['--json', 'keys', 'set-policy', vpsId, '-'], { input: 'nope' });
    expect(notJson.code).toBe(2);
    expect(JSON.parse(notJson.stdout)).toMatchObject({ error: { code: 'E_MALFORMED_POLICY' } });
    const list = JSON.parse((await stowage(['--json', 'keys', 'list'])).stdout) as unknown[];
    expect(list).toHaveLength(2);
  });

  it('takes a policy naming an S3 action that does not exist, as IAM does, with a warning (seed 003)', async () => {
    // Seed 003's application policy lists s3:GetObjectMetadata, which S3 does not have.
    const seed003 = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject', 's3:GetObjectMetadata', 's3:DeleteObject'],
          Resource: 'arn:aws:s3:::your-creative-assets-bucket/*',
        },
      ],
    };
    const r = await stowage(['keys', 'set-policy', vpsId, '-'], { input: JSON.stringify(seed003) });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'warning: policy from stdin names S3 actions that do not exist, which match no request: s3:GetObjectMetadata\n',
    );
    const shown = JSON.parse((await stowage(['--json', 'keys', 'show', vpsId])).stdout) as {
      policy: unknown;
    };
    expect(shown.policy).toEqual(seed003);
    const quiet = await stowage(['-q', 'keys', 'set-policy', vpsId, '-'], {
      input: JSON.stringify(seed003),
    });
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
  });

  it('an empty list in a directory no server has used asks whether it is the right one', async () => {
    const other = path.join(dir, 'never-served');
    mkdirSync(other);
    const r = await stowage(['keys', 'list'], { dataDir: other });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `no access keys in ${other}, which no stowage serve has used yet: is it the right data directory? (create one with \`stowage keys create --name NAME\`)\n`,
    );
  });

  it('lists config-declared keys and refuses to delete or re-policy them', async () => {
    const cwd = path.join(dir, 'with-config');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      path.join(cwd, 'stowage.yaml'),
      [
        'server:',
        '  accessKeys:',
        '    - name: backup',
        '      accessKeyId: STWBACKUP00000000001',
        '      secretAccessKey: backup-secret-0000000000',
        '',
      ].join('\n'),
    );
    const list = await stowage(['keys', 'list'], { cwd });
    expect(list.stdout).toMatch(/backup +STWBACKUP00000000001 +- +no +config/);
    expect(list.stdout).not.toContain('backup-secret');
    const del = await stowage(['keys', 'delete', 'STWBACKUP00000000001'], { cwd });
    expect(del.code).toBe(4);
    expect(del.stderr).toContain('is declared in server.accessKeys of the config: remove it there');
    const set = await stowage(
      ['keys', 'set-policy', 'STWBACKUP00000000001', '../iam-policy.json'],
      { cwd },
    );
    expect(set.code).toBe(4);
    expect(set.stderr).toContain('E_ACCESS_KEY_READ_ONLY');
    expect(set.stderr).toContain('of the config: change its policy there');
    const dup = await stowage(['keys', 'create', '--name', 'backup'], { cwd });
    expect(dup.code).toBe(4);
  });

  it('deletes a key', async () => {
    const r = await stowage(['keys', 'delete', vpsId]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`deleted access key ${vpsId} ("ziggie-vps-sync")\n`);
    const stored = JSON.parse(readFileSync(path.join(dataDir, 'access-keys.json'), 'utf8')) as {
      keys: { name: string }[];
    };
    expect(stored.keys.map((k) => k.name)).toEqual(['ci']);
  });
});
