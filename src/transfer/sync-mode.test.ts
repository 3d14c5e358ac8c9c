import { describe, expect, it } from 'vitest';
import { ASYNC_WINDOW, SyncMode } from './sync-mode.js';

describe('SyncMode', () => {
  it('leaves synchronous calls for the thread pool after two slow ones in a row, for a window', () => {
    const mode = new SyncMode(60);
    mode.record(5);
    mode.record(500); // one slow call (a page-cache hiccup) changes nothing
    mode.record(5);
    expect(mode.useSync()).toBe(true);
    mode.record(500);
    mode.record(500);
    for (let i = 0; i < ASYNC_WINDOW; i++) expect(mode.useSync()).toBe(false);
    expect(mode.useSync()).toBe(true);
  });

  it('judges against its own threshold', () => {
    const mode = new SyncMode(1000);
    mode.record(500);
    mode.record(500);
    expect(mode.useSync()).toBe(true);
  });

  it('timed returns what the step returns, and counts a step that throws', () => {
    const mode = new SyncMode(0);
    expect(mode.timed(() => 42)).toBe(42);
    expect(() =>
      mode.timed(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    // Both steps took more than 0 µs: two slow in a row.
    expect(mode.useSync()).toBe(false);
  });
});
