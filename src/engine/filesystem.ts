/**
 * The file system a data directory is on. Stowage keeps its metadata in SQLite in WAL mode
 * and keeps a second process out with a lock on a file of the directory: both hold only
 * within one mount of a local file system. SQLite's own words: "WAL does not work over a
 * network filesystem" (sqlite.org/wal.html). On NFS, SMB, sshfs and other FUSE mounts, a
 * second server reaching the directory through another mount (another machine, say) is
 * not kept out, and writes from both corrupt the database; a probe did it on sshfs, SMB
 * and bindfs, and every object became unreadable. So such a directory is refused unless
 * the operator says one server only will use it (engine.allowNetworkFilesystem).
 */
import { readFileSync, realpathSync, statfsSync } from 'node:fs';

/** statfs magic numbers of network and FUSE file systems (linux/magic.h), by name. */
const SHARED: ReadonlyMap<number, string> = new Map([
  [0x6969, 'nfs'],
  [0x517b, 'smb'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x01021997, '9p'],
  [0x00c36400, 'ceph'],
  [0x5346414f, 'afs'],
  [0x6b414653, 'afs'],
  [0x0bd00bd0, 'lustre'],
  [0x47504653, 'gpfs'],
  [0x65735546, 'fuse'],
]);
const FUSE = 0x65735546;
const TMPFS = 0x01021994;

/** What a data directory's file system is. */
export interface FilesystemInfo {
  /** Its name as the mount table has it (`ext4`, `fuse.sshfs`, `nfs4`), else by magic. */
  type: string;
  /** A network or FUSE file system: its locks do not keep out a server on another mount. */
  shared: boolean;
  /** tmpfs: what is stored there is gone when the machine restarts. */
  memory: boolean;
}

/** The file system `dir` (which exists) is on. */
export function filesystemOf(dir: string): FilesystemInfo {
  const magic = statfsSync(dir).type;
  let mounted: string | undefined;
  try {
    mounted = mountTypeOf(readFileSync('/proc/self/mountinfo', 'utf8'), realpathSync(dir));
  } catch {
    // No mount table to read (not Linux): the magic number names it.
  }
  return classify(magic, mounted);
}

/**
 * Names and judges a file system by its statfs magic and its mount table type. FUSE over
 * a local block device (`fuseblk`: ntfs-3g, exfat-fuse on a USB disk) is a local disk.
 */
export function classify(magic: number, mounted: string | undefined): FilesystemInfo {
  const known = SHARED.get(magic);
  return {
    type: mounted ?? known ?? `0x${magic.toString(16)}`,
    shared: known !== undefined && !(magic === FUSE && mounted === 'fuseblk'),
    memory: magic === TMPFS,
  };
}

/**
 * The type of the mount `path` (a real path) is on, from /proc/self/mountinfo's text: the
 * mount whose mount point is the longest prefix of the path.
 */
export function mountTypeOf(mountinfo: string, path: string): string | undefined {
  let best: { point: string; type: string } | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 5 || dash < 0 || dash + 1 >= fields.length) continue;
    // Spaces, tabs, newlines and backslashes in a mount point are octal escapes.
    const point = fields[4]!.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(parseInt(o, 8)),
    );
    const covers = point === '/' || path === point || path.startsWith(`${point}/`);
    // A later mount over the same point hides the earlier one.
    if (covers && (!best || point.length >= best.point.length)) {
      best = { point, type: fields[dash + 1]! };
    }
  }
  return best?.type;
}
