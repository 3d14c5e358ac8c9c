/**
 * A real, small, full-able file system for tests: a tmpfs of a given size, and a filler
 * file that takes its space down to the last block, as another program on the machine
 * would. Mounting needs root (or CAP_SYS_ADMIN); without it this throws a message that
 * says so, and the test fails rather than skips.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  rmSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDebianPackages } from './peers.js';

/** A mounted tmpfs of exactly `bytes`. */
export interface SmallFs {
  mountPoint: string;
  /** Unmounts it and removes the mount point. */
  unmount(): void;
}

/** Mounts a tmpfs of `bytes` on a fresh directory named after `prefix`. */
export function mountTmpfs(bytes: number, prefix: string): SmallFs {
  const mountPoint = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', mountPoint], {
      stdio: 'pipe',
    });
  } catch (err) {
    rmSync(mountPoint, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `these tests need a small real file system, but mounting a tmpfs at ${mountPoint} ` +
        `failed (${stderr || String(err)}). Run them as root or with CAP_SYS_ADMIN.`,
      { cause: err },
    );
  }
  const s = statfsSync(mountPoint);
  if (s.blocks * s.bsize !== bytes) {
    execFileSync('umount', ['-l', mountPoint]);
    throw new Error(`${mountPoint} is not a tmpfs of ${bytes} bytes`);
  }
  return {
    mountPoint,
    unmount: () => {
      execFileSync('umount', ['-l', mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    },
  };
}

/**
 * Mounts an ext4 file system of `bytes` (an image file under the OS temp directory, on a
 * loop device) on a fresh directory. Unlike tmpfs, ext4 allocates blocks late and holds
 * some in reserve for writes in flight, so its free space lags behind what was written.
 * `mkfsArgs` go to mkfs.ext4 (`['-N', '64']`: a file system with 64 inodes), `mountOptions`
 * to mount (`['errors=remount-ro']`).
 */
export function mountExt4(
  bytes: number,
  prefix: string,
  mkfsArgs: string[] = [],
  mountOptions: string[] = [],
): SmallFs {
  const mountPoint = mkdtempSync(path.join(tmpdir(), prefix));
  const image = `${mountPoint}.img`;
  try {
    execFileSync('truncate', ['-s', String(bytes), image], { stdio: 'pipe' });
    execFileSync('mkfs.ext4', ['-q', '-F', ...mkfsArgs, image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', ['loop', ...mountOptions].join(','), image, mountPoint], {
      stdio: 'pipe',
    });
  } catch (err) {
    rmSync(mountPoint, { recursive: true, force: true });
    rmSync(image, { force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `these tests need a small ext4 file system, but making one at ${mountPoint} failed ` +
        `(${stderr || String(err)}). Run them as root, with mkfs.ext4 (e2fsprogs) and loop devices.`,
      { cause: err },
    );
  }
  return {
    mountPoint,
    unmount: () => {
      execFileSync('umount', ['-l', mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
      rmSync(image, { force: true });
    },
  };
}

const MOUNT_EXFAT = '/sbin/mount.exfat-fuse';
const MKFS_EXFAT = '/usr/sbin/mkfs.exfat';

/**
 * Mounts an exFAT file system of `bytes` (a studio's USB disk: no hard links, no file
 * modes) with Debian's exfat-fuse, installed with exfatprogs when missing, on a loop
 * device over an image file. FUSE over a block device: the mount table calls it `fuseblk`.
 */
export function mountExfat(bytes: number, prefix: string): SmallFs {
  ensureDebianPackages({ [MOUNT_EXFAT]: 'exfat-fuse', [MKFS_EXFAT]: 'exfatprogs' });
  const mountPoint = mkdtempSync(path.join(tmpdir(), prefix));
  const image = `${mountPoint}.img`;
  let loop: string | undefined;
  const cleanup = (): void => {
    if (loop) execFileSync('losetup', ['-d', loop]);
    rmSync(mountPoint, { recursive: true, force: true });
    rmSync(image, { force: true });
  };
  try {
    execFileSync('truncate', ['-s', String(bytes), image], { stdio: 'pipe' });
    execFileSync(MKFS_EXFAT, [image], { stdio: 'pipe' });
    loop = execFileSync('losetup', ['-f', '--show', image]).toString().trim();
    execFileSync(MOUNT_EXFAT, [loop, mountPoint], { stdio: 'pipe' });
  } catch (err) {
    cleanup();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `these tests need an exFAT file system, but making one at ${mountPoint} failed ` +
        `(${stderr || String(err)}). Run them as root, with loop devices and FUSE.`,
      { cause: err },
    );
  }
  return {
    mountPoint,
    unmount: () => {
      execFileSync('umount', ['-l', mountPoint]);
      cleanup();
    },
  };
}

/** A file that fills its file system; `free` gives `bytes` back, `top` fills it again. */
export interface Filler {
  top(): void;
  free(bytes: number): void;
  /** Closes and deletes the filler. */
  remove(): void;
}

/** Fills the file system holding `dir` down to the last block, with `dir/filler`. */
export function fillDisk(dir: string): Filler {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const big = Buffer.alloc(64 * 1024);
  const top = (): void => {
    for (const chunk of [big, big.subarray(0, 512)]) {
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  };
  top();
  return {
    top,
    free: (bytes) => ftruncateSync(fd, Math.max(0, fstatSync(fd).size - bytes)),
    remove: () => {
      closeSync(fd);
      rmSync(file, { force: true });
    },
  };
}
