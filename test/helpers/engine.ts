/** Test helpers: a fresh engine over a temp directory, a manual clock, body readers. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { Clock } from '../../src/engine/types.js';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Ids of the inline blobs (small bodies kept in meta.db) of a data directory, read
 * through a second, read-only connection while the engine may hold the first.
 */
export function inlineBlobIds(dataDir: string): string[] {
  const db = new Database(path.join(dataDir, 'meta.db'), { readonly: true, fileMustExist: true });
  try {
    // Rows by number ('j<n>', schema 13) and rows of the table before ('i<hex>').
    return db
      .prepare("SELECT 'j' || id AS id FROM inline_rows UNION ALL SELECT id FROM inline_blobs")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

/** Ids of the blob files under a data directory's blobs/ (one shard directory level). */
export function blobFileIds(dataDir: string): string[] {
  const root = path.join(dataDir, 'blobs');
  return readdirSync(root).flatMap((shard) => readdirSync(path.join(root, shard)));
}

/** Every stored blob of a data directory: file ids under blobs/ and inline ids. */
export function storedBlobIds(dataDir: string): string[] {
  return [...blobFileIds(dataDir), ...inlineBlobIds(dataDir)].sort();
}

/** Every blob file of a data directory, concatenated: what is stored at rest. */
export function bytesAtRest(dataDir: string): Buffer {
  const root = path.join(dataDir, 'blobs');
  return Buffer.concat(
    readdirSync(root).flatMap((s) =>
      readdirSync(path.join(root, s)).map((n) => readFileSync(path.join(root, s, n))),
    ),
  );
}

/** A temp data directory, removed by the returned cleanup. */
export function tempDir(prefix = 'stowage-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens an engine over a fresh temp dir; `close()` also removes the directory. */
export async function openTestEngine(
  options: Partial<EngineOptions> = {},
): Promise<{ engine: Engine; dir: string; close: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const engine = await Engine.open({ dataDir: dir, ...options });
  return {
    engine,
    dir,
    close: async () => {
      await engine.close();
      cleanup();
    },
  };
}

/** Reads a stream to one Buffer. */
export async function readAll(stream: Readable | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes (xorshift), so tests can regenerate expected content. */
export function patternBytes(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** An async iterable of `chunks` with no declared length (like a chunked upload). */
export async function* streamOf(...chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) {
    await new Promise((r) => setImmediate(r));
    yield c;
  }
}
