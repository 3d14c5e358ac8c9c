import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'stowage-cli-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = path.join(cwd, name);
  writeFileSync(file, text);
  return file;
}

describe('stowage --help / --version', () => {
  it('prints help on stdout and exits 0', async () => {
    const r = await runCli(['--help'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: stowage');
    for (const flag of ['--config', '--json', '--quiet', '--verbose', '--version']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('config');
    expect(r.stderr).toBe('');
  });

  it('prints help for a subcommand', async () => {
    const r = await runCli(['config', 'check', '--help'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: stowage config check [options] [file]');
  });

  it('prints the package version', async () => {
    const r = await runCli(['--version'], { cwd });
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('prints help on stderr and exits 2 without a command', async () => {
    const r = await runCli([], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: stowage');
    expect(r.stdout).toBe('');
  });
});

describe('usage errors exit 2', () => {
  it('unknown command', async () => {
    const r = await runCli(['frobnicate'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("stowage: unknown command 'frobnicate' (E_USAGE)");
    expect(r.stdout).toBe('');
  });

  it('unknown option', async () => {
    const r = await runCli(['config', 'show', '--bogus'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('excess arguments', async () => {
    const r = await runCli(['config', 'show', 'extra'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('too many arguments');
  });

  it('bad --log-level choice', async () => {
    const r = await runCli(['--log-level', 'loud', 'config', 'show'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are trace, debug');
  });

  it('--quiet with --verbose', async () => {
    const r = await runCli(['-q', '-v', 'config', 'show'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot be used with');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('as JSON with --json', async () => {
    const r = await runCli(['--json', 'frobnicate'], { cwd });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'E_USAGE', message: "unknown command 'frobnicate'", details: {} },
    });
  });
});

describe('stowage config show', () => {
  it('prints the effective config as YAML', async () => {
    const r = await runCli(['config', 'show'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dataDir: ${path.join(cwd, 'stowage-data')}`);
    expect(r.stdout).toContain('minPartSizeBytes: 5242880');
  });

  it('prints JSON with --json, applying file, env and flags', async () => {
    const file = writeConfig('show.yaml', 'engine:\n  fsync: false\n');
    const r = await runCli(['config', 'show', '--json', '--config', file, '--data-dir', '/d'], {
      cwd,
      env: { LOG_LEVEL: 'warn' },
    });
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(config).toMatchObject({
      dataDir: '/d',
      log: { level: 'warn' },
      engine: { fsync: false },
    });
  });

  it('prints every secret as [REDACTED]: the root secret and declared keys, in YAML and JSON', async () => {
    const file = writeConfig(
      'secrets.yaml',
      [
        'server:',
        '  accessKeys:',
        '    - name: reader',
        '      accessKeyId: READER0000000001',
        '      secretAccessKey: declared-secret-123',
      ].join('\n'),
    );
    const env = {
      STOWAGE_ROOT_ACCESS_KEY: 'ROOTKEY00001',
      STOWAGE_ROOT_SECRET_KEY: 'root-secret-456',
    };
    for (const json of [[], ['--json']]) {
      const r = await runCli([...json, '--config', file, 'config', 'show'], { cwd, env });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('root-secret-456');
      expect(r.stdout).not.toContain('declared-secret-123');
      expect(r.stdout).toContain('ROOTKEY00001');
      expect(r.stdout.match(/\[REDACTED\]/g)).toHaveLength(2);
    }
  });

  it('its output, used as a config, is refused where it redacted a secret (never a guessable secret)', async () => {
    const shown = writeConfig(
      'shown.yaml',
      [
        'server:',
        '  rootAccessKeyId: ROOTKEY00001',
        "  rootSecretAccessKey: '[REDACTED]'",
        '  accessKeys:',
        '    - name: reader',
        '      accessKeyId: READER0000000001',
        "      secretAccessKey: '[REDACTED]'",
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', shown], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('server.rootSecretAccessKey: is the placeholder [REDACTED]');
    expect(r.stderr).toContain(
      'server.accessKeys.0.secretAccessKey: is the placeholder [REDACTED]',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('logs at debug level to stderr with --verbose, keeping stdout clean', async () => {
    const r = await runCli(['--verbose', '--json', 'config', 'show'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ log: { level: 'debug' } });
    expect(r.stderr).toContain('config loaded');
  });

  it('turns on debug logging with LOG_LEVEL=debug', async () => {
    const r = await runCli(['config', 'show'], { cwd, env: { LOG_LEVEL: 'debug' } });
    expect(r.stderr).toContain('config loaded');
  });
});

describe('stowage config check', () => {
  it('exits 0 for a valid file', async () => {
    const file = writeConfig('good.yaml', 'log:\n  level: warn\n');
    const r = await runCli(['config', 'check', file], { cwd });
    expect(r).toEqual({ code: 0, stdout: `${file}: ok\n`, stderr: '' });
  });

  it('is silent with --quiet and reports JSON with --json', async () => {
    const file = writeConfig('good2.yaml', '');
    expect(await runCli(['-q', 'config', 'check', file], { cwd })).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const r = await runCli(['--json', 'config', 'check', file], { cwd });
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, configFile: file });
  });

  it('exits 2 naming the field, without a stack trace', async () => {
    writeConfig('bad.yaml', 'engine:\n  minPartSizeBytes: -5\n');
    const r = await runCli(['config', 'check', 'bad.yaml'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'stowage: bad.yaml: engine.minPartSizeBytes: expected a number > 0, got -5 (E_CONFIG_INVALID)\n',
    );
  });

  it("reads each store's CA bundle as a command using the store would, exit 2 naming it", async () => {
    const file = writeConfig(
      'ca.yaml',
      'stores:\n  studio:\n    endpoint: https://s3.studio.lan\n    caBundle: ./no-such-ca.pem\n',
    );
    const r = await runCli(['config', 'check', file], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^stowage: stores\.studio\.caBundle: cannot read the CA bundle .*no-such-ca\.pem \(ENOENT\) \(E_CONFIG_INVALID\)\n$/,
    );
    writeConfig('not-a-ca.pem', 'hello\n');
    const empty = writeConfig(
      'ca2.yaml',
      'stores:\n  studio:\n    endpoint: https://s3.studio.lan\n    caBundle: ./not-a-ca.pem\n',
    );
    const r2 = await runCli(['config', 'check', empty], { cwd });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('holds no PEM certificate');
  });

  it('exits 2 for a missing file', async () => {
    const r = await runCli(['config', 'check', 'missing.yaml'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "config file missing.yaml (named by config check's argument) does not exist",
    );
    const flag = await runCli(['--config', 'missing.yaml', 'config', 'check'], { cwd });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('missing.yaml (named by --config) does not exist');
  });
});

describe('config errors', () => {
  it('stop any command with exit 2 and the field in the message', async () => {
    const file = writeConfig('typo.yaml', 'engine:\n  fsync: yes\n');
    const r = await runCli(['--config', file, 'config', 'show'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('engine.fsync: expected boolean, got "yes" (E_CONFIG_INVALID)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('print the --json error shape on stdout', async () => {
    const file = writeConfig('typo2.yaml', 'engine:\n  fsync: yes\n');
    const r = await runCli(['--json', '--config', file, 'config', 'show'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout) as {
      error: { code: string; message: string; details: object };
    };
    expect(body.error.code).toBe('E_CONFIG_INVALID');
    expect(body.error.message).toBe('typo2.yaml: engine.fsync: expected boolean, got "yes"');
    expect(body.error.details).toMatchObject({
      file,
      issues: [{ path: 'engine.fsync', source: 'typo2.yaml' }],
    });
  });

  it('come from env too', async () => {
    const r = await runCli(['config', 'show'], { cwd, env: { STOWAGE_LOG_LEVEL: 'chatty' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('env STOWAGE_LOG_LEVEL: log.level: expected one of');
  });

  it('show a stack trace only with --verbose', async () => {
    writeConfig('typo3.yaml', 'engine: 1\n');
    const r = await runCli(['--verbose', '--config', 'typo3.yaml', 'config', 'show'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
