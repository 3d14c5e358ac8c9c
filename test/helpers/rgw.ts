/**
 * A throw-away Ceph RADOS Gateway: an independent S3 server for client-side tests.
 *
 * `startRgw()` brings up a one-node Ceph cluster (one monitor, one OSD on the in-RAM
 * memstore, radosgw) bound to 127.0.0.1, with config, data, logs and sockets in one fresh
 * temp dir, and creates an S3 user with random keys. Typically 2-3 s; the first run also
 * installs Debian's ceph-mon, ceph-osd, radosgw and ceph-common (about a minute), so give
 * the calling hook a long timeout (300_000).
 *
 * Daemons never outlive the run: `stop()` SIGKILLs exactly the process groups it started
 * and removes the dir; a process 'exit' hook does the same for clusters still running;
 * and a detached watchdog does it when the test process dies without running its hooks
 * (a worker killed on timeout).
 *
 * What RGW needs from a client: path-style addressing and the WHEN_REQUIRED checksum
 * policy (see test/helpers/s3-targets.ts and test/rgw/harness.test.ts).
 *
 * @example
 * const rgw = await startRgw();
 * const client = new S3Client({ endpoint: rgw.endpoint, region: rgw.region,
 *   forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED',
 *   credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey } });
 * ...
 * await rgw.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDebianPackages } from './peers.js';
import { cephConf, freePort, isListeningOn, logTails, waitUntil } from './rgw-support.js';

const run = promisify(execFile);

/** Binaries the harness runs, and the Debian package that provides each. */
const CEPH_BINARIES: Record<string, string> = {
  '/usr/bin/ceph-mon': 'ceph-mon',
  '/usr/bin/monmaptool': 'ceph-base',
  '/usr/bin/ceph-osd': 'ceph-osd',
  '/usr/bin/radosgw': 'radosgw',
  '/usr/bin/radosgw-admin': 'ceph-common',
  '/usr/bin/ceph': 'ceph-common',
};

/** What a caller may change. */
export interface RgwOptions {
  /** Memstore size; PUTs hang (not fail) when it is full, so keep data well below. Default 1 GiB. */
  storeBytes?: number;
  /** Upper bound for each startup step. Default 90 s. */
  timeoutMs?: number;
  /** Parent of the cluster dir. Default the OS temp dir. */
  baseDir?: string;
  /** Seconds per lifecycle "day"; > 0 also makes lifecycle run continuously. Default -1 (off). */
  lcDebugIntervalSec?: number;
  /** Serve HTTPS (beast's ssl_endpoint) with these PEM files; `endpoint` is then https://. */
  tls?: { certFile: string; keyFile: string };
}

/** A running RGW. */
export interface RgwServer {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`), path-style only. */
  endpoint: string;
  region: 'us-east-1';
  accessKeyId: string;
  secretAccessKey: string;
  /** The cluster dir (ceph.conf, data, logs); removed by stop(). */
  dir: string;
  /** Process ids of mon, osd and radosgw (each leads its own process group). */
  pids: number[];
  /** Kills exactly the processes this cluster started and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

interface Cluster {
  dir: string;
  children: ChildProcess[];
  watchdog?: ChildProcess;
}

const live = new Set<Cluster>();
let exitHookInstalled = false;

/** A port taken between our pick and the daemon's bind: worth another try with new ports. */
class PortTakenError extends Error {}

/** Starts a throw-away RGW; throws with the daemons' log tails when it cannot. */
export async function startRgw(options: RgwOptions = {}): Promise<RgwServer> {
  checkOptions(options);
  ensureDebianPackages(CEPH_BINARIES);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

function checkOptions(o: RgwOptions): void {
  const bad = (name: string, value: unknown, want: string): never => {
    throw new Error(`startRgw: ${name} must be ${want}, got ${String(value)}`);
  };
  if (
    o.storeBytes !== undefined &&
    !(Number.isSafeInteger(o.storeBytes) && o.storeBytes >= 64 * 1024 ** 2)
  ) {
    bad('storeBytes', o.storeBytes, 'an integer of at least 64 MiB (67108864)');
  }
  if (o.timeoutMs !== undefined && !(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)) {
    bad('timeoutMs', o.timeoutMs, 'a positive number of milliseconds');
  }
  if (o.lcDebugIntervalSec !== undefined && !Number.isInteger(o.lcDebugIntervalSec)) {
    bad('lcDebugIntervalSec', o.lcDebugIntervalSec, 'an integer (-1: off)');
  }
  if (o.baseDir !== undefined && !existsSync(o.baseDir)) {
    bad('baseDir', o.baseDir, 'an existing directory');
  }
}

async function startOnce(options: RgwOptions): Promise<RgwServer> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const baseDir = options.baseDir ?? tmpdir();
  const dir = mkdtempSync(path.join(baseDir, 'stowage-rgw-'));
  for (const sub of ['run', 'log', 'crash', 'pids', 'mon.a', 'osd.0', 'rgw']) {
    mkdirSync(path.join(dir, sub));
  }
  const cluster: Cluster = { dir, children: [] };
  live.add(cluster);
  installExitHook();
  cluster.watchdog = startWatchdog(dir);

  const monPort = await freePort();
  let rgwPort = await freePort();
  while (rgwPort === monPort) rgwPort = await freePort();
  const conf = path.join(dir, 'ceph.conf');
  const fsid = randomUUID();
  const osdUuid = randomUUID();
  writeFileSync(
    conf,
    cephConf({
      dir,
      fsid,
      monPort,
      rgwPort,
      storeBytes: options.storeBytes ?? 1024 ** 3,
      lcDebugIntervalSec: options.lcDebugIntervalSec ?? -1,
      ...(options.tls ? { tls: options.tls } : {}),
    }),
  );
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${rgwPort}`;
  const ca = options.tls ? readFileSync(options.tls.certFile) : undefined;
  const accessKeyId = `RGW${randomBytes(9).toString('hex').toUpperCase().slice(0, 17)}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const step = (file: string, args: string[]): Promise<string> =>
    runStep(dir, file, [...args], timeoutMs);

  try {
    await step('monmaptool', [
      '--create',
      '--clobber',
      '--fsid',
      fsid,
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      path.join(dir, 'monmap'),
    ]);
    await step('ceph-mon', ['-c', conf, '-i', 'a', '--mkfs', '--monmap', `${dir}/monmap`]);
    const mon = startDaemon(cluster, 'mon.a', 'ceph-mon', ['-c', conf, '-i', 'a']);
    // With cluster auth off, any monitor on that port would accept our OSD: talk to it
    // only once it is certain that the listener is our own process.
    await waitUntil(`mon.a listening on 127.0.0.1:${monPort}`, timeoutMs, () => {
      assertAlive(cluster);
      if (isListeningOn(mon.pid!, monPort)) return true;
      if (logHas(dir, 'mon.a.log', /unable to bind/)) throw new PortTakenError(`port ${monPort}`);
      return false;
    });

    const osdId = await step('ceph', [
      '-c',
      conf,
      '--connect-timeout',
      String(Math.ceil(timeoutMs / 1000)),
      'osd',
      'new',
      osdUuid,
    ]);
    if (osdId.trim() !== '0') throw new Error(`'ceph osd new' gave id '${osdId.trim()}', not 0`);
    await step('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    startDaemon(cluster, 'osd.0', 'ceph-osd', ['-c', conf, '-i', '0']);
    // Starting radosgw before the OSD is up races its first pool ops into "homeless"
    // ops that are retried only every objecter tick.
    await waitUntil('osd.0 active', timeoutMs, () => {
      assertAlive(cluster);
      return logHas(dir, 'osd.0.log', /state: booting -> active/);
    });

    const rgw = startDaemon(cluster, 'rgw.test', 'radosgw', ['-c', conf, '-n', 'client.rgw.test']);
    await waitUntil(`radosgw answering on ${endpoint}`, timeoutMs, async () => {
      assertAlive(cluster);
      if (logHas(dir, 'client.rgw.test.log', /failed to bind|Address already in use/)) {
        throw new PortTakenError(`port ${rgwPort}`);
      }
      // A 200 counts only from our own radosgw, not from whoever else took the port.
      if (!isListeningOn(rgw.pid!, rgwPort)) return false;
      return (await rootStatus(endpoint, ca)) === 200;
    });

    const userJson = await step('radosgw-admin', [
      '-c',
      conf,
      'user',
      'create',
      '--uid=stowage-test',
      '--display-name=stowage test',
      `--access-key=${accessKeyId}`,
      `--secret-key=${secretAccessKey}`,
    ]);
    writeFileSync(path.join(dir, 'user.json'), userJson);
  } catch (err) {
    const tails = logTails(path.join(dir, 'log'));
    await stopCluster(cluster);
    if (err instanceof PortTakenError) throw err;
    throw new Error(
      `startRgw failed: ${(err as Error).message}\n--- daemon logs (${dir}, removed) ---\n${tails}`,
      { cause: err },
    );
  }

  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    dir,
    pids: cluster.children.map((c) => c.pid!),
    stop: () => stopCluster(cluster),
  };
}

/** Runs one setup command; its output is kept in log/<name>.out for failure reports. */
async function runStep(dir: string, file: string, args: string[], timeoutMs: number) {
  try {
    const { stdout } = await run(file, args, { env: daemonEnv(dir), timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    writeFileSync(path.join(dir, 'log', `${path.basename(file)}.out`), `${e.stdout}${e.stderr}`);
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}`, { cause: err });
  }
}

/** A clean environment: nothing like CEPH_ARGS or CEPH_CONF leaks in from the caller. */
function daemonEnv(dir: string): Record<string, string> {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: dir };
}

/** Starts a daemon in the foreground of its own session, so its process group is ours to kill. */
function startDaemon(cluster: Cluster, name: string, file: string, args: string[]): ChildProcess {
  const out = openSync(path.join(cluster.dir, 'log', `${name}.out`), 'a');
  const child = spawn(file, [...args, '-f'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: daemonEnv(cluster.dir),
  });
  closeSync(out);
  child.on('error', () => undefined);
  child.unref();
  cluster.children.push(child);
  if (child.pid) writeFileSync(path.join(cluster.dir, 'pids', `${name}.pid`), `${child.pid}\n`);
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

function assertAlive(cluster: Cluster): void {
  const dead = cluster.children.find(exited);
  if (dead) throw new Error(`${dead.spawnfile} exited early (${dead.exitCode ?? dead.signalCode})`);
}

function logHas(dir: string, file: string, pattern: RegExp): boolean {
  const p = path.join(dir, 'log', file);
  return existsSync(p) && pattern.test(readFileSync(p, 'utf8'));
}

/** The status of `GET /` (undefined when nothing answers), trusting `ca` over https. */
function rootStatus(endpoint: string, ca: Buffer | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const get = endpoint.startsWith('https:') ? https.get : http.get;
    const req = get(`${endpoint}/`, { ca, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** SIGKILL, not a clean shutdown: radosgw takes ~4 s to stop and memstore would dump RAM to disk. */
async function stopCluster(cluster: Cluster): Promise<void> {
  const all = cluster.watchdog ? [...cluster.children, cluster.watchdog] : cluster.children;
  const running = all.filter((c) => !exited(c));
  const gone = running.map(
    (c) =>
      new Promise<void>((resolve) => (exited(c) ? resolve() : c.once('exit', () => resolve()))),
  );
  for (const child of running) killGroup(child);
  // A ref'd timer: the daemons are unref'd, so without it a script whose last work is
  // `await stop()` would see its event loop drain and exit before stop() resolves.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(gone), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  rmSync(cluster.dir, { recursive: true, force: true });
  live.delete(cluster);
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of live) {
      for (const child of cluster.children) if (!exited(child)) killGroup(child);
      if (cluster.watchdog && !exited(cluster.watchdog)) killGroup(cluster.watchdog);
      rmSync(cluster.dir, { recursive: true, force: true });
    }
  });
}

/**
 * A detached shell that outlives us by at most a second: when this process is gone
 * without having run its exit hook (SIGKILL, a worker killed on timeout) it kills the
 * pids recorded in dir/pids whose command line still names this cluster's ceph.conf,
 * then removes the dir.
 */
function startWatchdog(dir: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'for f in "$2"/pids/*.pid; do',
    '  [ -f "$f" ] || continue; p=$(cat "$f")',
    '  case "$(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null)" in',
    '    *"$2/ceph.conf"*) kill -KILL "-$p" 2>/dev/null;;',
    '  esac',
    'done',
    'rm -rf -- "$2"',
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script, 'rgw-watchdog', String(process.pid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();
  return child;
}
