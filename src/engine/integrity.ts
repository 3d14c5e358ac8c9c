/** `stowage engine check`: is the data directory consistent? */
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { BlobStore } from './blobs/blob-store.js';
import { readSegments, type Segment } from './blobs/read-blobs.js';
import { CUSTOMER_REF } from './crypto/envelope.js';
import { sealedSize } from './crypto/format.js';
import type { KeyStore } from './crypto/keys.js';
import { referencedBlobIds } from './recovery.js';

/** One problem found. */
export interface IntegrityProblem {
  kind: 'database' | 'missing-blob' | 'wrong-size' | 'orphan-blob' | 'checksum';
  message: string;
}

/** The result of a check. */
export interface IntegrityReport {
  ok: boolean;
  objectsChecked: number;
  blobsChecked: number;
  problems: IntegrityProblem[];
}

interface ExpectedBlob {
  /** Bytes of the blob (file or inline row). */
  size: number;
  sha256?: string;
  what: string;
  /** For an encrypted blob: the segment to decrypt (its SHA-256 is of the plaintext). */
  sealed?: Segment;
}

/**
 * SHA-256 of a blob's bytes, file or inline row, read as objects are read: an encrypted
 * blob is decrypted (its SHA-256 is of the plaintext), every segment authenticated.
 */
async function sha256Of(blobs: BlobStore, seg: Segment, keys?: KeyStore): Promise<string> {
  const hash = createHash('sha256');
  const stream = readSegments(blobs, [seg], 0, seg.n - 1, () => undefined, keys);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function deepProblem(
  blobs: BlobStore,
  id: string,
  e: ExpectedBlob,
  keys?: KeyStore,
): Promise<string | undefined> {
  if (!e.sealed) {
    const sum = await sha256Of(blobs, { b: id, n: e.size });
    return sum === e.sha256 ? undefined : 'does not match its SHA-256';
  }
  // SSE-C: the key is the client's and never stored, so only the size can be checked.
  if (e.sealed.e?.r === CUSTOMER_REF) return undefined;
  try {
    const sum = await sha256Of(blobs, e.sealed, keys);
    return sum === e.sha256 ? undefined : 'decrypts to bytes that do not match their SHA-256';
  } catch (err) {
    return `cannot be decrypted: ${(err as Error).message}`;
  }
}

/** Checks metadata against blobs. Reports every problem instead of stopping at the first. */
export async function checkIntegrity(
  db: Database,
  blobs: BlobStore,
  options: { deep?: boolean } = {},
  keys?: KeyStore,
): Promise<IntegrityReport> {
  const problems: IntegrityProblem[] = [];
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  for (const r of rows) {
    if (r.integrity_check !== 'ok') problems.push({ kind: 'database', message: r.integrity_check });
  }
  const expected = new Map<string, ExpectedBlob>();
  let objectsChecked = 0;
  for (const raw of db
    .prepare('SELECT bucket, key, version_id, segments, sha256 FROM versions')
    .iterate()) {
    const row = raw as {
      bucket: string;
      key: string;
      version_id: string;
      segments: string;
      sha256: string | null;
    };
    objectsChecked++;
    const segs = JSON.parse(row.segments) as Segment[];
    for (const s of segs) {
      expected.set(s.b, {
        size: s.e ? sealedSize(s.n) : s.n,
        ...(s.s ? { sha256: s.s } : {}),
        ...(s.e ? { sealed: s } : {}),
        what: `${row.bucket}/${row.key} (version ${row.version_id})`,
      });
    }
  }
  for (const raw of db
    .prepare(
      'SELECT upload_id, part_number, size, sha256, blob_id, envelope FROM parts WHERE blob_id IS NOT NULL',
    )
    .iterate()) {
    const p = raw as {
      upload_id: string;
      part_number: number;
      size: number;
      sha256: string;
      blob_id: string;
      envelope: string | null;
    };
    const sealed: Segment | undefined = p.envelope
      ? { b: p.blob_id, n: p.size, e: JSON.parse(p.envelope) as Segment['e'] }
      : undefined;
    expected.set(p.blob_id, {
      size: sealed ? sealedSize(p.size) : p.size,
      sha256: p.sha256,
      ...(sealed ? { sealed } : {}),
      what: `part ${p.part_number} of upload ${p.upload_id}`,
    });
  }
  let blobsChecked = 0;
  for (const [id, e] of expected) {
    blobsChecked++;
    const size = await blobs.sizeOf(id);
    if (size === undefined) {
      problems.push({ kind: 'missing-blob', message: `${e.what}: blob ${id} is missing` });
      continue;
    }
    if (size !== e.size) {
      problems.push({
        kind: 'wrong-size',
        message: `${e.what}: blob ${id} has ${size} bytes, expected ${e.size}`,
      });
      continue;
    }
    const problem = options.deep && e.sha256 ? await deepProblem(blobs, id, e, keys) : undefined;
    if (problem) problems.push({ kind: 'checksum', message: `${e.what}: blob ${id} ${problem}` });
  }
  const referenced = referencedBlobIds(db);
  for (const id of await blobs.listIds()) {
    if (!referenced.has(id))
      problems.push({ kind: 'orphan-blob', message: `blob ${id} is not referenced by any object` });
  }
  return { ok: problems.length === 0, objectsChecked, blobsChecked, problems };
}
