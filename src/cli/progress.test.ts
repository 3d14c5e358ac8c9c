import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../transfer/index.js';
import { emptySummary, type SyncSummary } from '../transfer/sync/run-plan.js';
import { clockText, formatSummary, progressMode, ProgressReporter } from './progress.js';

const MiB = 1024 * 1024;

function fake(isTTY: boolean) {
  let t = 1_000_000;
  const writes: string[] = [];
  const sink = { isTTY, write: (s: string) => writes.push(s) };
  return { sink, writes, now: () => t, advance: (ms: number) => (t += ms) };
}

const event = (bytesDone: number): ProgressEvent => ({
  key: 'ignored',
  bytesDone,
  bytesTotal: 10 * MiB,
  bytesResumed: 0,
  bytesPerSecond: 0,
  elapsedMs: 0,
  phase: 'transferring',
});

describe('progressMode', () => {
  it('is off with --quiet, --no-progress or --json; a status line on a TTY; plain lines elsewhere', () => {
    expect(progressMode({ isTTY: true })).toBe('tty');
    expect(progressMode({ isTTY: false })).toBe('lines');
    expect(progressMode({ isTTY: true, quiet: true })).toBe('off');
    expect(progressMode({ isTTY: true, progress: false })).toBe('off');
    expect(progressMode({ isTTY: true, json: true })).toBe('off');
  });
});

/** A reporter drawing on `f`'s fake terminal of `columns` columns, redrawn by hand. */
function ttyReporter(f: ReturnType<typeof fake>, columns: number): ProgressReporter {
  return new ProgressReporter({ sink: f.sink, mode: 'tty', now: f.now, timer: false, columns });
}

describe('ProgressReporter on a TTY', () => {
  it('redraws one line at most every 100 ms with files, bytes, rate, ETA, failures and names', () => {
    const f = fake(true);
    const p = ttyReporter(f, 200);
    p.planned(10 * MiB);
    p.planned(10 * MiB);
    p.planDone();
    f.advance(1000);
    p.update('renders/a.png', event(5 * MiB));
    expect(f.writes).toHaveLength(1);
    expect(f.writes[0]).toBe(
      '\r0/2 files | 5.0 MiB/20.0 MiB | 5.0 MiB/s | ETA 0:03 | renders/a.png\x1b[K',
    );
    f.advance(50);
    p.update('renders/a.png', event(6 * MiB));
    expect(f.writes).toHaveLength(1); // throttled
    f.advance(950);
    p.result({ key: 'renders/a.png', action: 'upload', status: 'ok', bytes: 10 * MiB });
    expect(f.writes).toHaveLength(2);
    f.advance(100);
    p.result({ key: 'b\nc', action: 'upload', status: 'failed' });
    expect(f.writes).toHaveLength(3);
    expect(f.writes[2]).toBe(
      '\r1/2 files | 10.0 MiB/20.0 MiB | 4.8 MiB/s | ETA 0:02 | 1 failed\x1b[K',
    );
    p.stop();
    expect(f.writes.at(-1)).toBe('\r\x1b[K');
  });

  it('marks totals as growing while the plan streams, and truncates to the terminal width', () => {
    const f = fake(true);
    const p = ttyReporter(f, 40);
    p.planned(100);
    f.advance(500);
    p.update('a/very/long/name/that/does/not/fit/in/forty/columns.bin', event(50));
    expect(f.writes[0]).toMatch(/^\r0\/1\+ files \| 50 Bytes\/100 Bytes\+ \| /);
    expect(f.writes[0]!.replace('\r', '').replace('\x1b[K', '')).toHaveLength(39);
    expect(f.writes[0]!.endsWith('…\x1b[K')).toBe(true);
  });

  it('shows key names with newlines escaped', () => {
    const f = fake(true);
    const p = ttyReporter(f, 200);
    p.update('a\nb', event(1));
    expect(f.writes[0]).toContain('a\\nb');
    expect(f.writes[0]).not.toContain('a\nb');
  });
});

describe('ProgressReporter without a TTY', () => {
  it('writes a plain line every 5 s and never a carriage return', () => {
    const f = fake(false);
    const p = new ProgressReporter({ sink: f.sink, mode: 'lines', now: f.now, timer: false });
    p.planned(4);
    p.planDone();
    p.update('k', event(1));
    expect(f.writes).toEqual([]);
    f.advance(5000);
    p.result({ key: 'k', action: 'upload', status: 'ok', bytes: 4 });
    expect(f.writes).toEqual(['progress: 1/1 files | 4 Bytes/4 Bytes | 1 Byte/s\n']);
    f.advance(1000);
    p.tick();
    expect(f.writes).toHaveLength(1);
    p.stop();
    expect(f.writes.join('')).not.toContain('\r');
  });

  it('prints nothing when off', () => {
    const f = fake(true);
    const p = new ProgressReporter({ sink: f.sink, mode: 'off', now: f.now });
    p.planned(1);
    p.update('k', event(1));
    p.tick(true);
    p.stop();
    expect(f.writes).toEqual([]);
  });
});

describe('ProgressReporter.filesText (what an interrupted run says)', () => {
  it('counts finished files, not failed ones or deletions, with + while the plan grows', () => {
    const p = new ProgressReporter({ sink: fake(false).sink, mode: 'off', timer: false });
    for (let i = 0; i < 4; i++) p.planned(MiB);
    p.result({ key: 'a', action: 'upload', status: 'ok', bytes: MiB });
    p.result({ key: 'b', action: 'upload', status: 'failed' });
    p.result({ key: 'c', action: 'delete', status: 'ok' });
    expect(p.filesText()).toBe('1 of 4+ files');
    p.planDone();
    expect(p.filesText()).toBe('1 of 4 files');
  });
});

describe('formatSummary', () => {
  const base: SyncSummary = emptySummary(false);
  it('names the counts, bytes, duration and throughput', () => {
    expect(
      formatSummary({
        ...base,
        uploaded: 11,
        deleted: 1,
        failed: 2,
        bytes: 3 * MiB,
        durationMs: 2000,
      }),
    ).toBe('Completed: 11 uploaded, 1 deleted, 2 failed; 3.0 MiB in 2.0 s (1.5 MiB/s)');
    expect(formatSummary({ ...base, dryrun: true, wouldDelete: 7 })).toBe(
      '(dryrun) Planned: 7 deletions blocked by --max-delete; 0 Bytes in 0.0 s (0 Bytes/s)',
    );
    expect(formatSummary({ ...base, copied: 2 }, true)).toMatch(/^Completed: 2 moved;/);
    expect(formatSummary(base)).toMatch(/^Completed: nothing to do;/);
  });
  it('clockText', () => {
    expect(clockText(65)).toBe('1:05');
    expect(clockText(3723)).toBe('1:02:03');
  });
});
