import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { AccessTimes } from './access-times.js';

describe('AccessTimes', () => {
  it('asks for one commit batch a second at most, and writes the latest time per row', () => {
    vi.useFakeTimers();
    try {
      const db = new Database(':memory:');
      db.exec('CREATE TABLE versions (id INTEGER PRIMARY KEY, accessed_at INTEGER)');
      db.exec('INSERT INTO versions VALUES (1, 0), (2, 0)');
      const schedule = vi.fn();
      const times = new AccessTimes(db, schedule);
      for (let i = 1; i <= 100; i++) times.record(1 + (i % 2), i);
      expect(schedule).not.toHaveBeenCalled();
      vi.advanceTimersByTime(999);
      expect(schedule).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(schedule).toHaveBeenCalledTimes(1);
      times.write();
      expect(db.prepare('SELECT id, accessed_at AS at FROM versions ORDER BY id').all()).toEqual([
        { id: 1, at: 100 },
        { id: 2, at: 99 },
      ]);
      times.record(1, 200);
      times.stop();
      vi.advanceTimersByTime(5000);
      expect(schedule).toHaveBeenCalledTimes(1);
      times.write(); // what close() does after stop()
      expect(db.prepare('SELECT accessed_at FROM versions WHERE id = 1').pluck().get()).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
