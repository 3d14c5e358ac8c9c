/**
 * The resume state of one multipart upload: a small JSON file under the caller's state
 * directory, named by a hash of bucket + key + local path, rewritten atomically (temp file
 * + rename) after every part. A kill leaves at worst the parts in flight unrecorded; they
 * are uploaded again on the next run.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CoalescedSaver } from './coalesce.js';
import { localError, readJsonOrUndefined, writeJsonAtomic } from './local-file.js';

/** What a re-run needs to continue an upload. */
export interface UploadState {
  version: 1;
  bucket: string;
  key: string;
  /** Absolute path of the source file. */
  path: string;
  uploadId: string;
  partSizeBytes: number;
  sizeBytes: number;
  mtimeMs: number;
  sha256: string;
  /** Part number -> { md5 hex (= ETag when not SSE-KMS), ETag as the store returned it }. */
  parts: Record<string, { md5: string; etag: string }>;
}

/** The state file of an upload. */
export function stateFileFor(
  stateDir: string,
  bucket: string,
  key: string,
  filePath: string,
): string {
  const id = createHash('sha256')
    .update(`${bucket}\0${key}\0${path.resolve(filePath)}`)
    .digest('hex')
    .slice(0, 32);
  return path.join(stateDir, `upload-${id}.json`);
}

function isUploadState(v: unknown): v is UploadState {
  const s = v as Partial<UploadState> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    typeof s.uploadId === 'string' &&
    typeof s.partSizeBytes === 'number' &&
    typeof s.sizeBytes === 'number' &&
    typeof s.mtimeMs === 'number' &&
    typeof s.sha256 === 'string' &&
    typeof s.parts === 'object' &&
    s.parts !== null
  );
}

/** The saved state, or undefined when there is none (or it is unreadable: start over). */
export async function loadUploadState(file: string): Promise<UploadState | undefined> {
  // Nearly always absent (every single-PUT upload asks): a synchronous existence test
  // spares a thread-pool round trip per file.
  if (!existsSync(file)) return undefined;
  const v = await readJsonOrUndefined(file);
  return isUploadState(v) ? v : undefined;
}

/** Saves the state of one upload after every part (coalesced: newest wins). */
export class StateWriter {
  private readonly saver: CoalescedSaver;

  constructor(
    private readonly file: string,
    private readonly state: UploadState,
  ) {
    this.saver = new CoalescedSaver(() => writeJsonAtomic(this.file, this.state));
  }

  /** Creates the state directory and writes the first state. */
  async init(): Promise<void> {
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
    } catch (err) {
      throw localError(err, path.dirname(this.file), 'cannot create the state directory');
    }
    await writeJsonAtomic(this.file, this.state);
  }

  /** Records a finished part and schedules a write. */
  recordPart(partNumber: number, md5: string, etag: string): void {
    this.state.parts[String(partNumber)] = { md5, etag };
    this.saver.request();
  }

  /** Waits for pending writes; throws if one failed. */
  flush(): Promise<void> {
    return this.saver.flush();
  }

  /** Removes the state file (after success, or when starting over). */
  async remove(): Promise<void> {
    await this.flush().catch(() => undefined);
    await rm(this.file, { force: true });
  }
}

/** Removes a state file if it exists. */
export async function removeStateFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
