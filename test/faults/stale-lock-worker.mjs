/**
 * The child process of stale-lock-race.test.ts. Waits until the wall clock reaches `startAt`
 * (so that every child reaches a stale lock at the same moment), then either claims a
 * download's partial file (`claim <target> <holdMs>`: prints `won` or the error code, and
 * holds a won claim for holdMs) or adds one to a counter file under the key store's lock
 * (`count <lockFile> <counterFile>`: a read-modify-write that loses an increment if two
 * processes hold the lock at once).
 *
 * Usage: node stale-lock-worker.mjs <startAt ms> claim <target> <holdMs>
 *        node stale-lock-worker.mjs <startAt ms> count <lockFile> <counterFile>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const dist = new URL('../../dist/', import.meta.url);
const [startAt, mode, a, b] = process.argv.slice(2);
const { claimPartial } = await import(new URL('transfer/download-state.js', dist).href);
const { withFileLock } = await import(new URL('server/keys/lock.js', dist).href);

while (Date.now() < Number(startAt)) await sleep(1);
if (mode === 'claim') {
  try {
    const release = await claimPartial(a);
    process.stdout.write('won\n');
    await sleep(Number(b));
    await release();
  } catch (err) {
    process.stdout.write(`${err.code ?? err.message}\n`);
  }
} else {
  await withFileLock(a, async () => {
    const n = Number(readFileSync(b, 'utf8'));
    await sleep(20);
    writeFileSync(b, String(n + 1));
  });
  process.stdout.write('counted\n');
}
