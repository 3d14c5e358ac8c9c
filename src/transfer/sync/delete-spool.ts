/**
 * Deferred deletions. A plan yields its deletions only after every transfer, so the
 * number of deletions is known before the first one runs (`--max-delete`) and nothing is
 * deleted while copies are still outstanding. The candidates are held in memory up to a
 * limit and spilled to a temp file (JSON lines, so keys with newlines survive) past it,
 * keeping memory bounded for a million-key purge.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { SyncEntry } from './types.js';

/** Options for {@link DeleteSpool}. */
export interface DeleteSpoolOptions {
  /** Entries held in memory before spilling to disk. Default 5,000. */
  memoryLimit?: number;
  /** Where the spill file goes. Default: the OS temp directory. */
  tempDir?: string;
}

/** An append-only list of deletion candidates that can be read back once, in order. */
export class DeleteSpool {
  private buffer: SyncEntry[] = [];
  private file: string | undefined;
  private dir: string | undefined;
  private total = 0;
  private readonly limit: number;
  private readonly tempRoot: string;

  constructor(options: DeleteSpoolOptions = {}) {
    this.limit = Math.max(1, options.memoryLimit ?? 5000);
    this.tempRoot = options.tempDir ?? os.tmpdir();
  }

  /** How many entries were added. */
  get count(): number {
    return this.total;
  }

  /** True once entries went to disk. */
  get spilled(): boolean {
    return this.file !== undefined;
  }

  async add(entry: SyncEntry): Promise<void> {
    this.buffer.push(entry);
    this.total++;
    if (this.buffer.length >= this.limit) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    if (!this.file) {
      this.dir = await fsp.mkdtemp(path.join(this.tempRoot, 'stowage-deletes-'));
      this.file = path.join(this.dir, 'deletes.jsonl');
    }
    const lines = this.buffer.map((e) => JSON.stringify(e)).join('\n') + '\n';
    this.buffer = [];
    await fsp.appendFile(this.file, lines);
  }

  /** Yields every entry in the order added. */
  async *drain(): AsyncGenerator<SyncEntry> {
    if (this.file) {
      await this.flush();
      const lines = createInterface({ input: createReadStream(this.file), crlfDelay: Infinity });
      for await (const line of lines) if (line) yield JSON.parse(line) as SyncEntry;
    } else {
      yield* this.buffer;
    }
  }

  /** Removes the spill file. Safe to call more than once. */
  async close(): Promise<void> {
    this.buffer = [];
    if (this.dir) await fsp.rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.file = undefined;
  }
}
