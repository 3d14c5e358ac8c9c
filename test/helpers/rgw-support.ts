/**
 * The pieces of the RGW harness (test/helpers/rgw.ts) that need no running cluster: the
 * ceph.conf it writes, free ports, "is this port ours", log tails, polling.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

/** What varies between clusters in ceph.conf. */
export interface CephConfOptions {
  dir: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
  storeBytes: number;
  lcDebugIntervalSec: number;
  /** Serve HTTPS with these PEM files instead of HTTP. */
  tls?: { certFile: string; keyFile: string };
}

/**
 * A one-node cluster on 127.0.0.1 with everything inside `dir`. The settings that matter:
 * - msgr2 only on loopback, cluster auth off (S3 requests are still SigV4-checked by RGW);
 *   clients then need `ms mon client mode = crc`, since radosgw defaults to "secure" mon
 *   connections, which auth none cannot provide;
 * - pools of size 1 with few PGs, no warnings about redundancy, and a mon that does not
 *   stop writes when the temp disk is fuller than its default 30 %/5 % thresholds;
 * - fast paxos proposals (default batches for 1 s) and a 1 s objecter tick (default 5 s),
 *   which is most of the difference between ~2 s and ~10 s startup;
 * - memstore (RAM) as the OSD store; RGW garbage collection after seconds, not hours, as
 *   deleted data otherwise stays in RAM.
 */
export function cephConf(o: CephConfOptions): string {
  const d = o.dir;
  return `[global]
fsid = ${o.fsid}
mon host = v2:127.0.0.1:${o.monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind msgr2 = true
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
run dir = ${d}/run
admin socket = ${d}/run/$name.asok
pid file = ${d}/run/$name.pid
log file = ${d}/log/$name.log
log to stderr = false
err to stderr = false
crash dir = ${d}/crash
exe data = ${d}/crash
keyring = ${d}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on pool pg num not power of two = false
mon warn on too few osds = false
mon max pg per osd = 1000
mon data avail crit = 1
mon data avail warn = 2
mon cluster log file = ${d}/log/cluster.log
mon cluster log to file = true

[mon]
mon data = ${d}/mon.$id
paxos propose interval = 0.01
paxos min wait = 0.001

[osd]
osd data = ${d}/osd.$id
osd objectstore = memstore
memstore device bytes = ${o.storeBytes}
osd memory target = 939524096
osd crush update on start = true

[client]
log file = ${d}/log/$name.log
ms mon client mode = crc
objecter tick interval = 1

[client.rgw.test]
rgw frontends = ${
    o.tls
      ? `beast ssl_endpoint=127.0.0.1:${o.rgwPort} ssl_certificate=${o.tls.certFile} ssl_private_key=${o.tls.keyFile}`
      : `beast endpoint=127.0.0.1:${o.rgwPort}`
  }
rgw data = ${d}/rgw
rgw thread pool size = 32
rgw enable usage log = false
rgw gc obj min wait = 5
rgw gc processor period = 10
rgw gc processor max time = 10
rgw lc debug interval = ${o.lcDebugIntervalSec}
`;
}

/** A port nobody listens on right now (bind port 0, read it, close); callers handle races. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether process `pid` owns a listening TCP socket on `port` (from /proc, no `ss` needed). */
export function isListeningOn(pid: number, port: number): boolean {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] is local "ADDR:PORT" in hex, f[3] the state (0A = LISTEN), f[9] the inode.
      if (f[1]?.endsWith(`:${portHex}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m !== null && inodes.has(m[1]!);
    } catch {
      return false;
    }
  });
}

/**
 * The last lines of every daemon log and command output in `logDir`. Ceph log lines start
 * with an ISO timestamp; continuation lines and rocksdb chatter are left out.
 */
export function logTails(logDir: string, lines = 20): string {
  if (!existsSync(logDir)) return '(no logs)';
  const parts: string[] = [];
  for (const name of readdirSync(logDir).sort()) {
    const text = readFileSync(path.join(logDir, name), 'utf8');
    let kept = text.split('\n').filter((l) => l.trim() !== '');
    if (name.endsWith('.log')) {
      kept = kept.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l) && !l.includes('rocksdb:'));
    }
    if (kept.length > 0) parts.push(`==== ${name}\n${kept.slice(-lines).join('\n')}`);
  }
  return parts.length > 0 ? parts.join('\n') : '(logs empty)';
}

/** Polls `check` every 20 ms until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
