import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/engine.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { loadConfig } from '../../config/load.js';
import { parseIdentityPolicy } from '../../s3api/documents/policy.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('stowage-keycfg-')));
afterEach(() => cleanup());

function load(yaml: string) {
  writeFileSync(path.join(dir, 'stowage.yaml'), yaml);
  return loadConfig({ cwd: dir, env: {} });
}

const KEY = `
    - name: backup
      accessKeyId: STWBACKUP00000000001
      secretAccessKey: backup-secret-0000000000`;

describe('server.accessKeys in stowage.yaml', () => {
  it('is unset by default', async () => {
    expect((await load('{}')).server.accessKeys).toBeUndefined();
  });

  it('accepts a policy as a YAML mapping or as JSON text, and keeps it as JSON text', async () => {
    const config = await load(`server:
  accessKeys:${KEY}
      policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [s3:PutObject]
            Resource: arn:aws:s3:::backups/*
    - name: reader
      accessKeyId: STWREADER00000000001
      secretAccessKey: reader-secret-0000000000
      policy: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}'
    - name: nothing
      accessKeyId: STWNOTHING0000000001
      secretAccessKey: nothing-secret-000000000
`);
    const [backup, reader, nothing] = config.server.accessKeys ?? [];
    expect(parseIdentityPolicy(backup!.policy!).statements[0]?.action).toEqual(['s3:PutObject']);
    expect(parseIdentityPolicy(reader!.policy!).statements[0]?.action).toEqual(['s3:GetObject']);
    expect(nothing!.policy).toBeUndefined();
  });

  it('names the key and the problem of a bad policy', async () => {
    await expectError(
      load(`server:
  accessKeys:${KEY}
      policy: { Statement: [ { Effect: Allow, Action: s3:GetObject, Resource: "*", Principal: "*" } ] }
`),
      'E_CONFIG_INVALID',
      /server\.accessKeys\.0\.policy: access key "backup": Policy document should not specify a principal \(statement 1\)/,
    );
  });

  it('refuses duplicate names and ids, bad names and unknown fields', async () => {
    await expectError(
      load(`server:\n  accessKeys:${KEY}${KEY}\n`),
      'E_CONFIG_INVALID',
      /server\.accessKeys\.1\.name: another access key is already named "backup"/,
    );
    await expectError(
      load(
        `server:\n  accessKeys:${KEY}${KEY.replace('name: backup', 'name: BACKUP').replace(/accessKeyId: \S+/, 'accessKeyId: STWBACKUP00000000002')}\n`,
      ),
      'E_CONFIG_INVALID',
      /server\.accessKeys\.1\.name: another access key is already named "backup" \(names are compared without case/,
    );
    await expectError(
      load(`server:\n  accessKeys:${KEY.replace('name: backup', 'name: "bad name"')}\n`),
      'E_CONFIG_INVALID',
      /server\.accessKeys\.0\.name: expected 1 to 64 characters/,
    );
    await expectError(
      load(`server:\n  accessKeys:${KEY}\n      secret: x\n`),
      'E_CONFIG_INVALID',
      /server\.accessKeys\.0\.secret: unknown key/,
    );
  });

  it('never shows a secret in an error', async () => {
    const err = await expectError(
      load(`server:\n  accessKeys:${KEY.replace('backup-secret-0000000000', 'short42')}\n`),
      'E_CONFIG_INVALID',
      /server\.accessKeys\.0\.secretAccessKey/,
    );
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('short42');
  });
});
