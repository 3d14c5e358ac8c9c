import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FdLogDestination, MAX_PENDING_BYTES } from './log-destination.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stowage-logdest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A FIFO with a reader that reads only when asked, and a non-blocking writer. */
function fifo(name: string): { reader: number; writer: number; readAll: () => string } {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  const reader = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
  const readAll = (): string => {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      let n: number;
      try {
        n = readSync(reader, buf);
      } catch {
        break; // EAGAIN: nothing more now
      }
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString();
  };
  return { reader, writer, readAll };
}

const line = (i: number): string => `${JSON.stringify({ i, pad: 'x'.repeat(200) })}\n`;

describe('FdLogDestination', () => {
  it('holds what a stuck reader does not take, up to its limit, then drops and says so', async () => {
    const { reader, writer, readAll } = fifo('stuck');
    const dest = new FdLogDestination(writer);
    // 64 KiB fit the pipe; about 1 MiB more is held; the rest of 5 MiB is dropped.
    const count = Math.ceil((5 * 1024 * 1024) / line(0).length);
    for (let i = 0; i < count; i++) expect(dest.write(line(i))).toBe(true);
    expect(dest.droppedLines).toBeGreaterThan(0);
    const dropped = dest.droppedLines;
    // The reader catches up: held lines follow in order, then the count of dropped ones.
    let text = '';
    for (let round = 0; round < 200 && !text.includes('dropped'); round++) {
      text += readAll();
      await new Promise((r) => setTimeout(r, 60));
      dest.write(line(-1));
    }
    text += readAll();
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { i?: number; msg?: string; droppedLines?: number });
    const kept = entries.filter((e) => e.i !== undefined && e.i >= 0).map((e) => e.i!);
    expect(kept.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept.length * line(0).length).toBeLessThan(64 * 1024 + MAX_PENDING_BYTES + 4096);
    const report = entries.find((e) => e.droppedLines !== undefined);
    expect(report?.droppedLines).toBe(dropped);
    expect(report?.msg).toMatch(/log lines were dropped: the log destination did not keep up/);
    closeSync(reader);
    closeSync(writer);
  });

  it('drops lines a full disk or a closed pipe refuses, without throwing', () => {
    const full = openSync('/dev/full', 'w');
    const dest = new FdLogDestination(full);
    for (let i = 0; i < 10; i++) expect(() => dest.write(line(i))).not.toThrow();
    expect(dest.droppedLines).toBeGreaterThanOrEqual(10);
    closeSync(full);

    const { reader, writer } = fifo('closed');
    closeSync(reader);
    const broken = new FdLogDestination(writer);
    expect(() => broken.write(line(0))).not.toThrow(); // EPIPE
    expect(broken.droppedLines).toBe(1);
    closeSync(writer);
  });
});
