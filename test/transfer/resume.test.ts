/**
 * Interrupted transfers resume. A child process running uploadFile / downloadFile is
 * killed with SIGKILL mid-transfer; a re-run then sends only the missing parts (counted
 * on the client and checked with ListParts) or fetches only the missing bytes. Also: an
 * AbortSignal leaves an upload resumable, a changed file starts over and aborts the stale
 * upload, and a vanished upload (NoSuchUpload) starts over cleanly.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadFile,
  Pacer,
  partialPathsFor,
  stateFileFor,
  uploadFile,
} from '../../src/transfer/index.js';
import { tempDir } from '../helpers/engine.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, countCommands, makeFile, PART, startSmallPartServer } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER = path.join(root, 'test/fixtures/transfer/transfer-worker.ts');
const VITE_NODE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vite-node/package.json')),
  'vite-node.mjs',
);

let srv: TestServer;
let client: S3Client;
let counts: Map<string, number>;
let child: ChildProcess | undefined;
const { dir, cleanup } = tempDir('stowage-resume-');
const BUCKET = 'resume';
const stateDir = path.join(dir, '.stowage-state');

beforeAll(async () => {
  srv = await startSmallPartServer();
  client = clientFor(srv.url);
  counts = countCommands(client);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  client.destroy();
  await srv.close();
  cleanup();
});

/** Runs the worker and SIGKILLs it once it reports at least `killAtBytes` done. */
function runAndKill(
  args: string[],
  killAtBytes: number,
  /** Also wait for this (checked at each progress line) before the kill. */
  ready: () => boolean = () => true,
): Promise<number> {
  const proc = spawn(process.execPath, [VITE_NODE, WORKER, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stderr = '';
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(
        new Error(`the worker did not reach ${killAtBytes} bytes in 40 s:\n${out}\n${stderr}`),
      );
    }, 40_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const done = [...out.matchAll(/^PROGRESS (\d+)$/gm)].map((m) => Number(m[1]));
      const most = Math.max(0, ...done);
      if (most >= killAtBytes && proc.exitCode === null && ready()) {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        proc.once('exit', () => resolve(most));
      }
    });
    proc.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') return;
      clearTimeout(timer);
      reject(
        new Error(`the worker exited (code ${code}) before it was killed:\n${out}\n${stderr}`),
      );
    });
  });
}

async function partsOf(key: string, uploadId: string): Promise<number[]> {
  const res = await client.send(
    new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }),
  );
  return (res.Parts ?? []).map((p) => p.PartNumber!);
}

async function openUploads(key: string): Promise<string[]> {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
  return (res.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId!);
}

/** `file` stored at `key` in one upload (no pacing), keeping its state in `o.stateDir`. */
function put(
  key: string,
  file: string,
  o: { stateDir?: string } = {},
): ReturnType<typeof uploadFile> {
  return uploadFile({
    client,
    pacer: new Pacer(),
    bucket: BUCKET,
    key,
    path: file,
    partSizeBytes: PART,
    ...o,
  });
}

/** The same upload run again, resuming from the state file (no abort, no pacing). */
function rerun(key: string, file: string): ReturnType<typeof uploadFile> {
  return put(key, file, { stateDir });
}

/** Transfer options that send one part at a time (paced) and abort after `parts` parts. */
function abortingAfter(parts: number) {
  const controller = new AbortController();
  return {
    pacer: new Pacer({ bandwidthLimit: PART }),
    concurrency: 1,
    signal: controller.signal,
    onProgress: (e: { bytesDone: number }) => e.bytesDone >= parts * PART && controller.abort(),
  };
}

/**
 * A file of `fileParts` parts named `key` in the temp dir (pattern `seed`) whose upload was aborted
 * after `parts` parts: the stale upload is open and the state file kept. Returns the file and its bytes.
 */
async function abortedUpload(
  key: string,
  seed: number,
  parts: number,
  fileParts = 6,
): Promise<ReturnType<typeof makeFile>> {
  const made = makeFile(dir, key, fileParts * PART, seed);
  const file = made.file;
  await expect(
    uploadFile({
      client,
      bucket: BUCKET,
      key,
      path: file,
      stateDir,
      partSizeBytes: PART,
      ...abortingAfter(parts),
    }),
  ).rejects.toMatchObject({ name: 'AbortError' });
  expect(await openUploads(key)).toHaveLength(1);
  return made;
}

/** A download of `key` to `target` aborted after `parts` parts (paced, one part at a time). */
async function abortedDownload(key: string, target: string, parts: number): Promise<void> {
  await expect(
    downloadFile({
      client,
      bucket: BUCKET,
      key,
      path: target,
      partSizeBytes: PART,
      ...abortingAfter(parts),
    }),
  ).rejects.toMatchObject({ name: 'AbortError' });
}

describe('upload resume', () => {
  it('after SIGKILL mid-upload, a re-run uploads only the missing parts', async () => {
    const { file, bytes } = makeFile(dir, 'killed-up.bin', 16 * PART + 100, 3);
    const key = 'killed-up.bin';
    await runAndKill(
      ['upload', srv.url, BUCKET, key, file, stateDir, String(PART), String(4 * PART)],
      5 * PART,
    );
    const stateFile = stateFileFor(stateDir, BUCKET, key, file);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      uploadId: string;
      parts: Record<string, unknown>;
    };
    const listed = await partsOf(key, state.uploadId);
    expect(listed.length).toBeGreaterThanOrEqual(4);
    expect(listed.length).toBeLessThan(17);

    const before = counts.get('UploadPartCommand') ?? 0;
    const r = await rerun(key, file);
    const recorded = Object.keys(state.parts).length;
    // Every part the killed run recorded (and the store still holds) is kept; the rest is sent.
    expect(r.resumedParts).toBeGreaterThanOrEqual(Math.min(recorded, listed.length));
    expect(r.resumedParts + r.uploadedParts).toBe(17);
    expect((counts.get('UploadPartCommand') ?? 0) - before).toBe(r.uploadedParts);
    expect(existsSync(stateFile)).toBe(false);
    expect(await openUploads(key)).toEqual([]);
    const out = path.join(dir, 'killed-up.out');
    await downloadFile({ client, pacer: new Pacer(), bucket: BUCKET, key, path: out });
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });

  it('an AbortSignal leaves the upload resumable; the re-run completes it', async () => {
    const { file, bytes } = makeFile(dir, 'aborted.bin', 8 * PART, 4);
    const key = 'aborted.bin';
    const controller = new AbortController();
    const pacer = new Pacer({ bandwidthLimit: PART });
    const run = uploadFile({
      client,
      pacer,
      bucket: BUCKET,
      key,
      path: file,
      stateDir,
      partSizeBytes: PART,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.bytesDone >= 3 * PART) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const stateFile = stateFileFor(stateDir, BUCKET, key, file);
    expect(existsSync(stateFile)).toBe(true);
    const r = await rerun(key, file);
    expect(r.resumedParts).toBeGreaterThanOrEqual(3);
    expect(r.resumedParts + r.uploadedParts).toBe(8);
    const out = path.join(dir, 'aborted.out');
    await downloadFile({ client, pacer: new Pacer(), bucket: BUCKET, key, path: out });
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });

  it('starts over and aborts the stale upload when the file changed', async () => {
    const key = 'changed.bin';
    const { file } = await abortedUpload(key, 5, 2);
    const next = makeFile(dir, 'changed.bin', 5 * PART + 1, 6);
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    const r = await rerun(key, file);
    expect(r).toMatchObject({ resumedParts: 0, uploadedParts: 6 });
    expect(await openUploads(key)).toEqual([]);
    const out = path.join(dir, 'changed.out');
    await downloadFile({ client, pacer: new Pacer(), bucket: BUCKET, key, path: out });
    expect(readFileSync(out).equals(next.bytes)).toBe(true);
  });

  it('starts over when the bytes changed but size and mtime were put back (cp -p, rsync -t)', async () => {
    const key = 'same-stat.bin';
    const { file } = await abortedUpload(key, 7, 3);
    // New bytes in a part already sent and in one not yet sent; size and mtime as before.
    const { mtime } = statSync(file);
    const changed = readFileSync(file);
    changed[10] = changed[10]! ^ 0xff;
    changed[5 * PART + 10] = changed[5 * PART + 10]! ^ 0xff;
    writeFileSync(file, changed);
    utimesSync(file, mtime, mtime);
    const r = await rerun(key, file);
    expect(r).toMatchObject({ resumedParts: 0, uploadedParts: 6 });
    expect(r.sha256).toBe(createHash('sha256').update(changed).digest('hex'));
    expect(await openUploads(key)).toEqual([]);
    const out = path.join(dir, 'same-stat.out');
    await downloadFile({ client, pacer: new Pacer(), bucket: BUCKET, key, path: out });
    expect(readFileSync(out).equals(changed)).toBe(true);
  });

  it('a file that shrank below the part size goes in one PUT and the stale upload is aborted', async () => {
    const key = 'shrunk.bin';
    const { file } = await abortedUpload(key, 14, 1, 4);
    makeFile(dir, 'shrunk.bin', 100, 15);
    const r = await rerun(key, file);
    expect(r).toMatchObject({ sizeBytes: 100, uploadedParts: 0 });
    expect(await openUploads(key)).toEqual([]);
    expect(existsSync(stateFileFor(stateDir, BUCKET, key, file))).toBe(false);
  });

  it('starts over cleanly when the saved upload is gone (NoSuchUpload)', async () => {
    const key = 'gone.bin';
    const { file, bytes } = await abortedUpload(key, 8, 1, 4);
    const state = JSON.parse(readFileSync(stateFileFor(stateDir, BUCKET, key, file), 'utf8')) as {
      uploadId: string;
    };
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: state.uploadId }),
    );
    const r = await rerun(key, file);
    expect(r).toMatchObject({ resumedParts: 0, uploadedParts: 4 });
    const out = path.join(dir, 'gone.out');
    await downloadFile({ client, pacer: new Pacer(), bucket: BUCKET, key, path: out });
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });
});

describe('download resume', () => {
  it('after SIGKILL mid-download, a re-run continues from the partial file', async () => {
    const { file, bytes } = makeFile(dir, 'killed-down.src', 16 * PART + 5, 9);
    const key = 'killed-down.bin';
    await put(key, file);
    const target = path.join(dir, 'down', 'killed-down.bin');
    const { partial, sidecar } = partialPathsFor(target);
    // Bytes received are not yet bytes synced: the kill waits until the sidecar names some
    // (on a loaded machine the first sync can come after 6 parts have arrived).
    const synced = (): boolean => {
      try {
        return (
          (JSON.parse(readFileSync(sidecar, 'utf8')) as { prefixBytes: number }).prefixBytes > 0
        );
      } catch {
        return false; // not written yet, or being replaced
      }
    };
    await runAndKill(
      ['download', srv.url, BUCKET, key, target, '-', String(PART), String(4 * PART)],
      6 * PART,
      synced,
    );
    expect(existsSync(target)).toBe(false);
    expect(existsSync(partial)).toBe(true);
    const side = JSON.parse(readFileSync(sidecar, 'utf8')) as { prefixBytes: number };
    expect(side.prefixBytes).toBeGreaterThan(0);

    const before = counts.get('GetObjectCommand') ?? 0;
    const r = await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key,
      path: target,
      partSizeBytes: PART,
    });
    expect(r.resumedBytes).toBe(side.prefixBytes);
    expect(r.verifiedBy).toBe('stowage-sha256');
    expect((counts.get('GetObjectCommand') ?? 0) - before).toBe(
      Math.ceil((16 * PART + 5 - side.prefixBytes) / PART),
    );
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(sidecar)).toBe(false);
  });

  it('starts over when the object changed since the partial file was written', async () => {
    const key = 'replaced.bin';
    const first = makeFile(dir, 'replaced-1', 6 * PART, 10);
    await put(key, first.file);
    const target = path.join(dir, 'down', 'replaced.bin');
    await abortedDownload(key, target, 2);
    expect(existsSync(partialPathsFor(target).partial)).toBe(true);
    const second = makeFile(dir, 'replaced-2', 6 * PART, 11);
    await put(key, second.file);
    const r = await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key,
      path: target,
      partSizeBytes: PART,
    });
    expect(r.resumedBytes).toBe(0);
    expect(readFileSync(target).equals(second.bytes)).toBe(true);
  });

  it('never leaves a half-written file at the target: an existing file stays until the end', async () => {
    const key = 'keep-old.bin';
    const { file, bytes } = makeFile(dir, 'keep-old.src', 4 * PART, 12);
    await put(key, file);
    const target = path.join(dir, 'down', 'keep-old.bin');
    writeFileSync(target, 'old content');
    await abortedDownload(key, target, 1);
    expect(readFileSync(target, 'utf8')).toBe('old content');
    await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key,
      path: target,
      partSizeBytes: PART,
    });
    expect(readFileSync(target).equals(bytes)).toBe(true);
  });
});
