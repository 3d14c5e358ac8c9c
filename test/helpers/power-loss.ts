/**
 * A power cut for tests: test/helpers/power-loss/lazyfs.py, a FUSE layer that passes
 * everything through to a backing directory but remembers what a power loss may drop
 * (file bytes since the file's last fsync; directory entries since the directory's last
 * fsync, or in `ext4` mode also since an fsync of a file in it). `crash()` unmounts it
 * and the backing directory is left as a machine would find it after the power came back.
 * Needs root and Debian's python3-fusepy and libfuse2 (installed when missing); without
 * them the test fails, it never skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './peers.js';

const SCRIPT = path.resolve('test/helpers/power-loss/lazyfs.py');

/** A mounted power-loss layer. */
export interface PowerLossFs {
  /** Where the application writes. */
  mountPoint: string;
  /** Kills nothing: unmounts, dropping what was not made durable; resolves when done. */
  crash(): Promise<void>;
  /** Mounts again over what the crash left (the same backing directory). */
  remount(extra?: string[]): Promise<void>;
  /** Unmounts without dropping anything, if still mounted (cleanup). */
  release(): Promise<void>;
}

const mounted = (mountPoint: string): boolean =>
  readFileSync('/proc/mounts', 'utf8').includes(` ${mountPoint} fuse`);

/** Mounts the layer at `<dir>/mnt` over `<dir>/back`, in `mode`. */
export async function mountPowerLossFs(
  dir: string,
  mode: 'strict' | 'ext4',
  extra: string[] = [],
): Promise<PowerLossFs> {
  ensureDebianPackages({
    '/usr/lib/python3/dist-packages/fusepy.py': 'python3-fusepy',
    '/lib/x86_64-linux-gnu/libfuse.so.2': 'libfuse2',
  });
  const backing = path.join(dir, 'back');
  const mountPoint = path.join(dir, 'mnt');
  mkdirSync(backing, { recursive: true });
  mkdirSync(mountPoint, { recursive: true });
  let daemon: ChildProcess | undefined;
  let output = '';
  const mount = async (options: string[]): Promise<void> => {
    const child = spawn(
      '/usr/bin/python3',
      ['-W', 'ignore', SCRIPT, backing, mountPoint, '--mode', mode, ...options],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    daemon = child;
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 200 && !mounted(mountPoint); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!mounted(mountPoint)) {
      child.kill('SIGKILL');
      throw new Error(`the power-loss layer did not mount at ${mountPoint}: ${output}`);
    }
  };
  const unmount = async (): Promise<void> => {
    const child = daemon;
    for (let i = 0; i < 50 && mounted(mountPoint); i++) {
      if (spawnSync('umount', [mountPoint]).status === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (mounted(mountPoint)) throw new Error(`cannot unmount ${mountPoint}: ${output}`);
    if (child && child.exitCode === null) {
      await new Promise((r) => child.once('exit', r));
    }
    if (child?.exitCode !== 0) throw new Error(`the power-loss layer failed: ${output}`);
  };
  await mount(extra);
  return {
    mountPoint,
    crash: unmount,
    remount: (more = []) => mount(more),
    release: async () => {
      if (existsSync(mountPoint) && mounted(mountPoint)) {
        spawnSync('umount', ['-l', mountPoint]);
      }
      if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    },
  };
}
