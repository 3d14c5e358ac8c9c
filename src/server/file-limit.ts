/**
 * The open-file limit against server.maxConnections. Every connection takes a file
 * descriptor, and a request that reads or writes an object a second one; with a limit
 * below what the cap allows (`ulimit -n 1024`, `docker --ulimit nofile=…`, a systemd
 * unit's LimitNOFILE), idle connections took every descriptor before the cap was reached:
 * requests failed or went unanswered and the log said nothing (a resource probe).
 */
import { readFileSync } from 'node:fs';
import { StowageError } from '../errors.js';

/** Descriptors kept for the server itself: the database, logs, keys, listeners, the thread pool. */
const RESERVED_FILES = 64;
/** Below this, the server cannot work at all (it died opening its data directory). */
const MINIMUM_FILES = 128;

/** The soft RLIMIT_NOFILE (which Node raises to the hard one at start); undefined off Linux. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connection cap to use: `configured` (0: none), lowered to what `limit` open files
 * allow (two per connection beside the reserve). Throws E_CONFIG_INVALID for a limit
 * too low to serve at all.
 */
export function connectionCap(configured: number, limit: number | undefined): number {
  if (limit === undefined) return configured;
  if (limit < MINIMUM_FILES) {
    throw new StowageError(
      'E_CONFIG_INVALID',
      `this process may open only ${limit} files (ulimit -n), and the server needs at least ` +
        `${MINIMUM_FILES}: raise the limit (ulimit -n, LimitNOFILE= in a systemd unit, ` +
        'docker run --ulimit nofile=…)',
      { details: { openFileLimit: limit } },
    );
  }
  if (configured === 0) return 0;
  return Math.min(configured, Math.floor((limit - RESERVED_FILES) / 2));
}
