import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

describe('bin/stowage.cjs (subprocess)', () => {
  beforeAll(() => {
    // `npm test` builds first; running vitest alone needs `npm run build` beforehand.
    if (!existsSync(`${root}dist/bundle/main.js`)) {
      throw new Error('dist/bundle/main.js is missing: run `npm run build` before this test');
    }
  });

  it('prints the version', async () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    const { stdout, stderr } = await exec(process.execPath, ['bin/stowage.cjs', '--version'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stdout).toBe(`${pkg.version}\n`);
    expect(stderr).toBe('');
  });

  it('without WebAssembly (node --jitless) refuses only the XXHASH checksums', async () => {
    const { dir, cleanup } = tempDir('stowage-jitless-');
    try {
      const file = path.join(dir, 'hello.txt');
      writeFileSync(file, 'hello');
      const run = (...args: string[]) =>
        exec(
          process.execPath,
          ['--jitless', 'bin/stowage.cjs', 'engine', '--data-dir', `${dir}/data`, ...args],
          {
            cwd: root,
            env: { PATH: process.env.PATH ?? '' },
          },
        );
      await run('mb', 'jitless');
      await run('put', 'jitless', 'sha', file, '--checksum-algorithm', 'SHA512');
      const refused = await run(
        'put',
        'jitless',
        'xx',
        file,
        '--checksum-algorithm',
        'XXHASH3',
      ).then(
        () => undefined,
        (err: { code?: number; stderr?: string }) => err,
      );
      expect(refused?.code).not.toBe(0);
      expect(refused?.stderr).toMatch(/XXHASH3 checksums need WebAssembly.*E_NOT_IMPLEMENTED/);
      const { stdout } = await run('ls', 'jitless');
      expect(stdout).toContain('sha');
      expect(stdout).not.toMatch(/\bxx\b/);
    } finally {
      cleanup();
    }
  });

  it('stops quietly with 141 when its reader goes away (`stowage ls | head`)', async () => {
    const child = spawn(process.execPath, ['bin/stowage.cjs', '--help'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closing our end before the CLI has loaded makes its first write fail with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });

  it('exits 2 on an unknown command', async () => {
    const failure = await exec(process.execPath, ['bin/stowage.cjs', 'frobnicate'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
    }).then(
      () => undefined,
      (err: unknown) => err as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("unknown command 'frobnicate'");
  });

  describe('the bundle (dist/bundle/) keeps what the SDK loads lazily', () => {
    let t: TestServer;
    const { dir, cleanup } = tempDir('stowage-bin-');
    beforeAll(async () => {
      t = await startTestServer();
    });
    /** `stowage <args>` against the test server as the root key, stdio as given. */
    const cliProcess = (args: string[], stdio: Parameters<typeof spawn>[2]['stdio']) =>
      spawn(process.execPath, ['bin/stowage.cjs', '--endpoint-url', t.url, ...args], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
        },
        stdio,
      });
    /** `stowage cp s3://stdout/<key> -`, stdout as given. */
    const cpToStdout = (key: string, stdout: 'pipe' | number) =>
      cliProcess(['cp', `s3://stdout/${key}`, '-'], ['ignore', stdout, 'pipe']);
    /** `stowage cp - s3://stdout/<key>`, stdin a pipe. */
    const cpFromStdin = (key: string) =>
      cliProcess(['cp', '-', `s3://stdout/${key}`], ['pipe', 'pipe', 'pipe']);
    afterAll(async () => {
      await t.close();
      cleanup();
    });

    it('a credential_process profile (the SDK imports that provider on first use)', async () => {
      const home = path.join(dir, 'home');
      mkdirSync(path.join(home, '.aws'), { recursive: true });
      const script = path.join(home, 'creds.sh');
      writeFileSync(
        script,
        `#!/bin/sh\necho '${JSON.stringify({
          Version: 1,
          AccessKeyId: TEST_KEY.accessKeyId,
          SecretAccessKey: TEST_KEY.secretAccessKey,
        })}'\n`,
      );
      chmodSync(script, 0o755);
      writeFileSync(
        path.join(home, '.aws', 'config'),
        `[profile proc]\ncredential_process = ${script}\nregion = us-east-1\n`,
      );
      const env = { PATH: process.env.PATH ?? '', HOME: home, AWS_PROFILE: 'proc' };
      const run = (...args: string[]) =>
        exec(process.execPath, ['bin/stowage.cjs', '--endpoint-url', t.url, ...args], {
          cwd: root,
          env,
        });
      await run('mb', 's3://from-process');
      const { stdout } = await run('ls');
      expect(stdout).toContain('from-process');
    });

    it('cp s3://b/k - writes the bytes, binary, through a pipe with a slow reader', async () => {
      const bytes = randomBytes(20 * 1024 * 1024);
      await t.client.send(new CreateBucketCommand({ Bucket: 'stdout' }));
      await t.client.send(new PutObjectCommand({ Bucket: 'stdout', Key: 'r.bin', Body: bytes }));
      const child = cpToStdout('r.bin', 'pipe');
      const out = child.stdout!;
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      // Read in bursts, so the pipe fills and the CLI must wait for it to drain.
      out.on('data', (c: Buffer) => {
        chunks.push(c);
        out.pause();
        setTimeout(() => out.resume(), 1);
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    });

    it('cp - s3://b/k stores what a pipe gives, binary, written in bursts', async () => {
      await t.client.send(new CreateBucketCommand({ Bucket: 'stdout' })).catch(() => undefined);
      const bytes = randomBytes(20 * 1024 * 1024 + 17);
      const child = cpFromStdin('piped.bin');
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      for (let at = 0; at < bytes.length; at += 3 * 1024 * 1024 + 5) {
        const chunk = bytes.subarray(at, at + 3 * 1024 * 1024 + 5);
        if (!child.stdin!.write(chunk)) await new Promise((r) => child.stdin!.once('drain', r));
      }
      child.stdin!.end();
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(stdout).toBe('upload: - to s3://stdout/piped.bin\n');
      expect(code).toBe(0);
      const got = await t.client.send(new GetObjectCommand({ Bucket: 'stdout', Key: 'piped.bin' }));
      const stored = Buffer.from(await got.Body!.transformToByteArray());
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(sha(stored)).toBe(sha(bytes));
      expect(got.ETag).toMatch(/-3"$/);
    });

    it('cp - s3://b/k interrupted (SIGINT) while the pipe is open stores nothing and aborts its upload', async () => {
      await t.client.send(new CreateBucketCommand({ Bucket: 'stdout' })).catch(() => undefined);
      const child = cpFromStdin('interrupted.bin');
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      // The CLI closes its end when it stops: what it has not read is refused (EPIPE).
      child.stdin!.on('error', () => undefined);
      // 20 MiB: two parts go out; the CLI then waits for more while the pipe stays open.
      child.stdin!.write(randomBytes(20 * 1024 * 1024));
      const uploads = async () =>
        (await t.client.send(new ListMultipartUploadsCommand({ Bucket: 'stdout' }))).Uploads ?? [];
      const deadline = Date.now() + 30_000;
      while ((await uploads()).length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await uploads()).map((u) => u.Key)).toEqual(['interrupted.bin']);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe(
        'stowage: interrupted by SIGINT: nothing was stored at s3://stdout/interrupted.bin, and the upload was aborted\n',
      );
      expect(code).toBe(130);
      expect(await uploads()).toEqual([]);
      const head = await t.client
        .send(new HeadObjectCommand({ Bucket: 'stdout', Key: 'interrupted.bin' }))
        .catch((e: { name: string }) => e.name);
      expect(head).toBe('NotFound');
    });

    it('sync interrupted (SIGINT) says how far it got, dies of the signal, and a re-run finishes', async () => {
      await t.client.send(new CreateBucketCommand({ Bucket: 'interrupted' }));
      const src = path.join(dir, 'interrupted');
      mkdirSync(src);
      const files = Array.from({ length: 6 }, (_, i) => `f${i}.bin`);
      for (const f of files) writeFileSync(path.join(src, f), randomBytes(4 * 1024 * 1024));
      // 24 MiB at 4 MiB/s: about six seconds, so the signal comes in the middle.
      const args = ['sync', src, 's3://interrupted/', '--no-progress', '--bandwidth-limit', '4M'];
      const child = cliProcess(args, ['ignore', 'pipe', 'pipe']);
      let stdout = '';
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const firstDone = new Promise<void>((resolve) =>
        child.stdout!.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('upload: ')) resolve();
        }),
      );
      await firstDone;
      child.kill('SIGINT');
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('close', (c, sig) => resolve([c, sig])),
      );
      // Ended by the signal itself (a shell loop around it stops too), not by an exit code.
      expect([code, signal]).toEqual([null, 'SIGINT']);
      expect(stderr).toMatch(
        /^stowage: interrupted by SIGINT after [1-5] of 6 files; run the same command again to go on \(a sync skips what is done, and interrupted multipart uploads and downloads resume\)\n$/,
      );
      const done = Number(/after (\d) of/.exec(stderr)![1]);
      expect(stdout.match(/^upload: /gm)?.length).toBe(done);

      const again = cliProcess(args.slice(0, 3), ['ignore', 'pipe', 'pipe']);
      let rerun = '';
      again.stdout!.on('data', (c: Buffer) => (rerun += c.toString()));
      expect(await new Promise((resolve) => again.on('close', resolve))).toBe(0);
      // Only the files the first run did not finish are sent again.
      expect(rerun.match(/^upload: /gm)?.length).toBe(6 - done);
      for (const f of files) {
        const head = await t.client.send(new HeadObjectCommand({ Bucket: 'interrupted', Key: f }));
        expect(head.ContentLength).toBe(4 * 1024 * 1024);
      }
    });

    it('cp - s3://b/k with a directory as standard input is refused, and stores nothing', async () => {
      await t.client.send(new CreateBucketCommand({ Bucket: 'stdout' })).catch(() => undefined);
      const fd = openSync(dir, 'r');
      try {
        const child = cliProcess(['cp', '-', 's3://stdout/from-dir'], [fd, 'pipe', 'pipe']);
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(stderr).toBe(
          'stowage: standard input is a directory; pipe or redirect a file into cp - (E_LOCAL_NOT_A_FILE)\n',
        );
        expect(code).toBe(2);
      } finally {
        closeSync(fd);
      }
      const head = await t.client
        .send(new HeadObjectCommand({ Bucket: 'stdout', Key: 'from-dir' }))
        .catch((e: { name: string }) => e.name);
      expect(head).toBe('NotFound');
    });

    it('cp s3://b/k - into a full disk (/dev/full) fails with one line, not a stack trace', async () => {
      await t.client.send(new PutObjectCommand({ Bucket: 'stdout', Key: 'small', Body: 'hello' }));
      const full = openSync('/dev/full', 'w');
      try {
        const child = cpToStdout('small', full);
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(code).toBe(1);
        expect(stderr).toMatch(/no space left on device/i);
        expect(stderr).not.toMatch(/\n\s+at /);
      } finally {
        closeSync(full);
      }
    });
  });
});
