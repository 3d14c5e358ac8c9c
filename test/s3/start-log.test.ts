/**
 * What `stowage serve` logs about its start: after an unclean shutdown, the recovery line
 * says how long recovery took, and the time is not blamed on the database check (the
 * warning about a slow check counts the check alone: a scale probe found a 5.5 s start after
 * `kill -9` blamed on the check, which then turned off still left 3 s unexplained).
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { tempDir } from '../helpers/engine.js';
import { startLoggingServer } from '../helpers/server.js';

const { dir, cleanup } = tempDir('stowage-startlog-');
afterAll(cleanup);

it('after an unclean shutdown: recovery is logged with its time, the open times are kept apart', async () => {
  const engine = await Engine.open({ dataDir: dir, fsync: false });
  await engine.createBucket('assets');
  await engine.putObject('assets', 'k', Buffer.alloc(64 * 1024, 1));
  expect(engine.openTimes).toEqual({
    databaseMs: expect.any(Number),
    recoveryMs: expect.any(Number),
  });
  await engine.close();
  // As a crash leaves the directory.
  const db = new Database(path.join(dir, 'meta.db'));
  db.prepare("UPDATE settings SET value = '0' WHERE name = 'clean_shutdown'").run();
  db.close();

  const { server, lines } = await startLoggingServer(dir);
  await server.close();
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const recovered = parsed.find((l) => String(l.msg).startsWith('recovered after an unclean'));
  expect(recovered).toMatchObject({
    level: 40,
    recovery: { uncleanShutdown: true },
    recoveryMs: expect.any(Number),
  });
  expect(recovered!.msg).toMatch(
    /^recovered after an unclean shutdown in \d+\.\d s \(a scan of every object file/,
  );
  // The check of a small database is quick: no warning about it.
  expect(parsed.filter((l) => String(l.msg).includes('the check of meta.db'))).toEqual([]);
});
