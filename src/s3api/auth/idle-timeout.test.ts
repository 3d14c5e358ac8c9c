import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { idleLimited } from './idle-timeout.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function* chunks(gapMs: number): AsyncGenerator<Uint8Array> {
  yield Buffer.from('a');
  await delay(gapMs);
  yield Buffer.from('b');
}

describe('idleLimited', () => {
  it('refuses a body that stops arriving with RequestTimeout', async () => {
    const it = idleLimited(chunks(200), 50)[Symbol.asyncIterator]();
    await it.next();
    await expect(it.next()).rejects.toMatchObject({ code: 'E_REQUEST_TIMEOUT' });
  });

  it('passes a body that keeps arriving', async () => {
    const got: string[] = [];
    for await (const c of idleLimited(chunks(10), 200)) got.push(Buffer.from(c).toString());
    expect(got).toEqual(['a', 'b']);
  });

  it('keeps no timer holding the process once the reader stops reading (a body refused half-way)', async () => {
    const before = timers();
    const it = idleLimited(chunks(5), 60_000)[Symbol.asyncIterator]();
    await it.next();
    // The server refused the body here (a bad chunk signature) and never reads it again:
    // a shutdown must not wait the idle timeout for this timer.
    expect(timers()).toBe(before);
  });
});
