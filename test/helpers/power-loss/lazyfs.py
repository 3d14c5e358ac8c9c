#!/usr/bin/python3
"""
lazyfs.py - a LazyFS-style crash-simulating FUSE pass-through file system, for
test/faults/power-loss.test.ts (written by a power-loss probe of this project; the
model is checked by that test before it is used). Needs Debian python3-fusepy, libfuse2.

    lazyfs.py BACKING MOUNTPOINT --mode strict|ext4 [--log FILE] [--bad-reads FILE]

Everything is passed through to BACKING immediately (so reads see all writes), but the
daemon tracks what a power loss may drop:

  * file contents: per inode an undo log (original size + original 4 KiB blocks saved
    before first being overwritten / truncated away) since the last fsync/fdatasync of
    that inode. A file created since the last crash has durable content "empty".
  * directory contents: per directory a snapshot of its entries (name -> inode) taken
    before the first namespace change since the last fsync of that directory.
    A directory created since the last crash has durable content "empty".
  * unlinked / replaced / rmdir'ed inodes that a durable snapshot still references are
    kept in a grave directory (outside the mount) so they can be brought back.

Modes:
  strict : fsync(file) persists only the file's data+size. A directory entry becomes
           durable only by fsync of the directory.
  ext4   : additionally fsync/fdatasync(file) persists the file's current name(s) along
           the path it was synced through (and the entries of all ancestor directories),
           and removes durable names of that inode that no longer exist (rename committed).

At unmount (after the application was killed), the daemon "loses power": it applies the
undo logs, rebuilds the directory tree from the durable snapshots, replaces BACKING with
it and exits. A summary of what was dropped is appended to the log (JSON lines).
Start with --no-crash to unmount without dropping anything. --bad-reads FILE makes reads
fail with EIO, as a bad sector does, while FILE lists "NAME OFFSET" lines
(test/faults/bad-sectors.test.ts).
"""
import argparse
import ctypes
import errno
import json
import os
import shutil
import stat
import sys
import time

import fusepy
from fusepy import FUSE, FuseOSError

BS = 4096

# ---- add fallocate to fusepy's (libfuse 2.9) operations struct -------------------------
_extra = [
    ('poll', ctypes.c_voidp),
    ('write_buf', ctypes.c_voidp),
    ('read_buf', ctypes.c_voidp),
    ('flock', ctypes.c_voidp),
    ('fallocate', ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                   fusepy.c_off_t, fusepy.c_off_t,
                                   ctypes.POINTER(fusepy.fuse_file_info))),
]


class fuse_operations_ext(ctypes.Structure):
    _fields_ = list(fusepy.fuse_operations._fields_) + _extra


fusepy.fuse_operations = fuse_operations_ext


class FUSE2(FUSE):
    def fallocate(self, path, mode, off, length, fip):
        fh = fip.contents.fh
        return self.operations('fallocate', self._decode_optional_path(path), mode, off,
                               length, fh)


# ---- the file system -------------------------------------------------------------------
class Lazy:
    use_ns = True

    def __init__(self, backing, grave, mode, log):
        self.root = os.path.realpath(backing)
        self.grave = grave
        self.mode = mode
        self.logf = log
        os.makedirs(grave, exist_ok=True)
        self.undo = {}     # ino -> {'orig': size, 'blocks': {idx: bytes}}
        self.dns = {}      # dir ino -> {name: (ino, isdir)} durable entries (dirty dirs)
        self.refs = {}     # ino -> set((dir_ino, name)) references from self.dns
        self.graved = {}   # ino -> grave path
        self.dpath = {}    # dir ino -> last known path (for ext4 mode)
        self.stats = {'fsync': 0, 'fdatasync': 0, 'fsyncdir': 0, 'writes': 0,
                      'saved_blocks': 0}
        self.events = []   # recent namespace/sync events (for debugging)

    def __call__(self, op, *args):
        if not hasattr(self, op):
            raise FuseOSError(errno.EFAULT)
        try:
            return getattr(self, op)(*args)
        except OSError as e:
            if isinstance(e, FuseOSError):
                raise
            raise FuseOSError(e.errno or errno.EIO)

    def ev(self, *a):
        self.events.append((time.time(),) + a)
        if len(self.events) > 20000:
            del self.events[:10000]

    def bp(self, path):
        return self.root + path if path != '/' else self.root

    # --- durable-state bookkeeping ---
    def _ref_add(self, dino, name, ino):
        self.refs.setdefault(ino, set()).add((dino, name))

    def _ref_del(self, dino, name, ino):
        s = self.refs.get(ino)
        if s is not None:
            s.discard((dino, name))
            if not s:
                del self.refs[ino]
                self._maybe_bury(ino)

    def _maybe_bury(self, ino):
        """An inode no durable snapshot references any more: a grave copy can go."""
        g = self.graved.get(ino)
        if g is None:
            return
        try:
            st = os.lstat(g)
        except FileNotFoundError:
            self.graved.pop(ino, None)
            return
        del self.graved[ino]
        if stat.S_ISDIR(st.st_mode):
            d = self.dns.pop(ino, None)
            if d:
                for n, (ci, _) in d.items():
                    self._ref_del(ino, n, ci)
            os.rmdir(g)
        else:
            os.unlink(g)
            if st.st_nlink <= 1:
                self.undo.pop(ino, None)

    def snap_dir(self, dpath):
        """Before the first namespace change in a clean directory, remember its entries."""
        bd = self.bp(dpath)
        dino = os.lstat(bd).st_ino
        self.dpath[dino] = dpath
        if dino in self.dns:
            return dino
        ents = {}
        with os.scandir(bd) as it:
            for e in it:
                ents[e.name] = (e.inode(), e.is_dir(follow_symlinks=False))
        self.dns[dino] = ents
        for n, (ci, _) in ents.items():
            self._ref_add(dino, n, ci)
        return dino

    def touch_file(self, ino, fd):
        u = self.undo.get(ino)
        if u is None:
            u = {'orig': os.fstat(fd).st_size, 'blocks': {}}
            self.undo[ino] = u
        return u

    def save_range(self, ino, fd, off, length):
        u = self.touch_file(ino, fd)
        orig = u['orig']
        if orig == 0 or length <= 0:
            return
        b0 = off // BS
        b1 = (off + length - 1) // BS
        for b in range(b0, b1 + 1):
            if b * BS >= orig:
                break
            if b not in u['blocks']:
                u['blocks'][b] = os.pread(fd, BS, b * BS)
                self.stats['saved_blocks'] += 1

    def save_truncate(self, ino, fd, newlen):
        u = self.touch_file(ino, fd)
        if newlen < u['orig']:
            self.save_range(ino, fd, newlen, u['orig'] - newlen)

    def make_file_durable(self, ino):
        self.undo.pop(ino, None)

    def make_dir_durable(self, dino):
        d = self.dns.pop(dino, None)
        if d:
            for n, (ci, _) in d.items():
                self._ref_del(dino, n, ci)

    def set_durable_entry(self, dino, name, ino, isdir):
        d = self.dns.get(dino)
        if d is None:
            return  # clean dir: durable == live already
        old = d.get(name)
        if old == (ino, isdir):
            return
        d[name] = (ino, isdir)
        self._ref_add(dino, name, ino)
        if old is not None:
            self._ref_del(dino, name, old[0])

    def ext4_commit_names(self, path, ino):
        """ext4-like: fsync of a file commits its name(s) (and the parent chain)."""
        # durable names of this inode that are no longer live: the rename/unlink commits
        for (dino, name) in list(self.refs.get(ino, ())):
            d = self.dns.get(dino)
            if d is None or d.get(name, (None,))[0] != ino:
                continue
            live = False
            dp = self.dpath.get(dino)
            if dp is not None:
                try:
                    live = (os.lstat(self.bp(dp)).st_ino == dino and
                            os.lstat(os.path.join(self.bp(dp), name)).st_ino == ino)
                except OSError:
                    live = False
            if not live:
                del d[name]
                self._ref_del(dino, name, ino)
        # the name it was synced through, and the ancestors' entries
        cur = path
        cino, cdir = ino, False
        while cur not in ('/', ''):
            parent, base = os.path.split(cur)
            try:
                pino = os.lstat(self.bp(parent)).st_ino
            except OSError:
                break
            self.set_durable_entry(pino, base, cino, cdir)
            cur, cino, cdir = parent, pino, True

    def bury_or_unlink(self, bpath, st):
        """Remove a live name; keep the inode in the grave if a durable snapshot needs it."""
        ino = st.st_ino
        isdir = stat.S_ISDIR(st.st_mode)
        needed = ino in self.refs
        if isdir:
            if needed:
                g = os.path.join(self.grave, 'd%d' % ino)
                os.rename(bpath, g)
                self.graved[ino] = g
            else:
                os.rmdir(bpath)
                self.make_dir_durable(ino)
            return
        if needed and st.st_nlink == 1 and ino not in self.graved:
            g = os.path.join(self.grave, 'f%d' % ino)
            os.rename(bpath, g)
            self.graved[ino] = g
        else:
            os.unlink(bpath)
            if st.st_nlink == 1 and not needed:
                self.undo.pop(ino, None)

    # --- fuse operations ---
    def access(self, path, amode):
        if not os.access(self.bp(path), amode):
            raise FuseOSError(errno.EACCES)
        return 0

    def getattr(self, path, fh=None):
        st = os.fstat(fh) if isinstance(fh, int) else os.lstat(self.bp(path))
        return {k: getattr(st, k) for k in (
            'st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_size', 'st_blocks')} | {
            'st_atime': st.st_atime_ns, 'st_mtime': st.st_mtime_ns,
            'st_ctime': st.st_ctime_ns, 'st_ino': st.st_ino}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self.bp(path))

    def readlink(self, path):
        return os.readlink(self.bp(path))

    def statfs(self, path):
        sv = os.statvfs(self.bp(path))
        return {k: getattr(sv, k) for k in (
            'f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree',
            'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def chmod(self, path, mode):
        os.chmod(self.bp(path), mode)
        return 0

    def chown(self, path, uid, gid):
        os.chown(self.bp(path), uid, gid, follow_symlinks=False)
        return 0

    def utimens(self, path, times=None):
        if times:
            os.utime(self.bp(path), ns=times, follow_symlinks=False)
        else:
            os.utime(self.bp(path), follow_symlinks=False)
        return 0

    def mkdir(self, path, mode):
        self.snap_dir(os.path.dirname(path))
        os.mkdir(self.bp(path), mode)
        ino = os.lstat(self.bp(path)).st_ino
        self.dns[ino] = {}  # a new directory is durably empty
        self.dpath[ino] = path
        self.ev('mkdir', path)
        return 0

    def rmdir(self, path):
        self.snap_dir(os.path.dirname(path))
        bpath = self.bp(path)
        st = os.lstat(bpath)
        if os.listdir(bpath):
            raise FuseOSError(errno.ENOTEMPTY)
        self.bury_or_unlink(bpath, st)
        self.ev('rmdir', path)
        return 0

    def unlink(self, path):
        self.snap_dir(os.path.dirname(path))
        bpath = self.bp(path)
        st = os.lstat(bpath)
        if stat.S_ISDIR(st.st_mode):
            raise FuseOSError(errno.EISDIR)
        self.bury_or_unlink(bpath, st)
        self.ev('unlink', path)
        return 0

    def symlink(self, target, source):
        self.snap_dir(os.path.dirname(target))
        os.symlink(source, self.bp(target))
        return 0

    def link(self, target, source):
        self.snap_dir(os.path.dirname(target))
        os.link(self.bp(source), self.bp(target), follow_symlinks=False)
        self.ev('link', source, target)
        return 0

    def rename(self, old, new):
        self.snap_dir(os.path.dirname(old))
        self.snap_dir(os.path.dirname(new))
        bo, bn = self.bp(old), self.bp(new)
        so = os.lstat(bo)
        try:
            sn = os.lstat(bn)
        except FileNotFoundError:
            sn = None
        if sn is not None and sn.st_ino != so.st_ino:
            if stat.S_ISDIR(sn.st_mode):
                if not stat.S_ISDIR(so.st_mode):
                    raise FuseOSError(errno.EISDIR)
                if os.listdir(bn):
                    raise FuseOSError(errno.ENOTEMPTY)
            elif stat.S_ISDIR(so.st_mode):
                raise FuseOSError(errno.ENOTDIR)
            self.bury_or_unlink(bn, sn)
        os.rename(bo, bn)
        self.ev('rename', old, new)
        return 0

    def _open_flags(self, flags):
        acc = flags & os.O_ACCMODE
        f = flags & ~(os.O_ACCMODE | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_TRUNC)
        f &= ~getattr(os, 'O_DIRECT', 0)
        f |= os.O_RDWR if acc != os.O_RDONLY else os.O_RDONLY
        return f

    def open(self, path, flags):
        bpath = self.bp(path)
        fd = os.open(bpath, self._open_flags(flags))
        if flags & os.O_TRUNC:
            ino = os.fstat(fd).st_ino
            self.save_truncate(ino, fd, 0)
            os.ftruncate(fd, 0)
        return fd

    def create(self, path, mode, fi=None):
        self.snap_dir(os.path.dirname(path))
        bpath = self.bp(path)
        existed = os.path.lexists(bpath)
        fd = os.open(bpath, self._open_flags(os.O_RDWR) | os.O_CREAT, mode)
        ino = os.fstat(fd).st_ino
        if not existed:
            self.undo[ino] = {'orig': 0, 'blocks': {}}  # new: durably empty
            self.ev('create', path, ino)
        else:
            self.touch_file(ino, fd)
        return fd

    def read(self, path, size, offset, fh):
        # --bad-reads: while its file exists, each line "NAME OFFSET" makes a read of a
        # file named NAME that reaches byte OFFSET fail with EIO, as a bad sector does.
        if self.bad_reads and os.path.exists(self.bad_reads):
            with open(self.bad_reads) as f:
                for line in f:
                    name, _, at = line.strip().rpartition(' ')
                    if name and os.path.basename(path) == name and offset + size > int(at):
                        raise FuseOSError(errno.EIO)
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        ino = os.fstat(fh).st_ino
        self.save_range(ino, fh, offset, len(data))
        self.stats['writes'] += 1
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        if isinstance(fh, int):
            fd, close = fh, False
        else:
            fd, close = os.open(self.bp(path), os.O_RDWR), True
        try:
            ino = os.fstat(fd).st_ino
            self.save_truncate(ino, fd, length)
            os.ftruncate(fd, length)
        finally:
            if close:
                os.close(fd)
        return 0

    def fallocate(self, path, mode, off, length, fh):
        ino = os.fstat(fh).st_ino
        FL_KEEP_SIZE, FL_PUNCH_HOLE, FL_COLLAPSE, FL_ZERO, FL_INSERT = 1, 2, 8, 16, 32
        if mode & (FL_COLLAPSE | FL_INSERT):
            raise FuseOSError(errno.EOPNOTSUPP)
        if mode & (FL_PUNCH_HOLE | FL_ZERO):
            self.save_range(ino, fh, off, length)
        else:
            self.touch_file(ino, fh)
        r = ctypes.CDLL(None, use_errno=True).fallocate(
            ctypes.c_int(fh), ctypes.c_int(mode), ctypes.c_longlong(off),
            ctypes.c_longlong(length))
        if r != 0:
            raise FuseOSError(ctypes.get_errno())
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    def fsync(self, path, datasync, fh):
        if self.slow and path.endswith(self.slow[0]):
            time.sleep(self.slow[1])  # widen the window before the sync takes effect
        ino = os.fstat(fh).st_ino
        if self.freeze and os.path.exists(self.freeze):
            return 0  # power already lost: nothing becomes durable any more
        self.stats['fdatasync' if datasync else 'fsync'] += 1
        self.make_file_durable(ino)
        if self.mode == 'ext4':
            self.ext4_commit_names(path, ino)
        self.ev('fdatasync' if datasync else 'fsync', path)
        return 0

    def opendir(self, path):
        return 0

    def releasedir(self, path, fh):
        return 0

    def fsyncdir(self, path, datasync, fh):
        dino = os.lstat(self.bp(path)).st_ino
        if self.freeze and os.path.exists(self.freeze):
            return 0
        self.stats['fsyncdir'] += 1
        self.make_dir_durable(dino)
        self.ev('fsyncdir', path)
        return 0

    # --- power loss ---
    def crash(self):
        t0 = time.time()
        summary = {'mode': self.mode, 'stats': self.stats, 'reverted_files': 0,
                   'truncated_bytes': 0, 'dirty_dirs': len(self.dns), 'lost_entries': [],
                   'resurrected_entries': [], 'errors': []}
        # where every inode lives now (live tree + grave)
        where = {}
        for base in (self.root, self.grave):
            for dp, dns, fns in os.walk(base):
                for n in dns + fns:
                    p = os.path.join(dp, n)
                    where.setdefault(os.lstat(p).st_ino, p)
            where.setdefault(os.lstat(base).st_ino, base)
        # 1. contents
        for ino, u in self.undo.items():
            p = where.get(ino)
            if p is None or not os.path.isfile(p) or os.path.islink(p):
                continue
            fd = os.open(p, os.O_RDWR)
            try:
                cur = os.fstat(fd).st_size
                for b, data in u['blocks'].items():
                    os.pwrite(fd, data, b * BS)
                os.ftruncate(fd, u['orig'])
                summary['reverted_files'] += 1
                summary['truncated_bytes'] += max(0, cur - u['orig'])
            finally:
                os.close(fd)
        # 2. namespace
        rootino = os.lstat(self.root).st_ino
        new = self.root + '.crash-new'
        if os.path.exists(new):
            shutil.rmtree(new)
        os.mkdir(new)
        os.chmod(new, stat.S_IMODE(os.lstat(self.root).st_mode))

        def entries_of(dino):
            if dino in self.dns:
                return self.dns[dino]
            p = where.get(dino)
            out = {}
            if p is None:
                summary['errors'].append('no path for clean dir ino %d' % dino)
                return out
            with os.scandir(p) as it:
                for e in it:
                    out[e.name] = (e.inode(), e.is_dir(follow_symlinks=False))
            return out

        def rel(p):
            return os.path.relpath(p, new)

        def build(dino, dst, live_dir):
            ents = entries_of(dino)
            live = {}
            if live_dir and os.path.isdir(live_dir):
                with os.scandir(live_dir) as it:
                    for e in it:
                        live[e.name] = e.inode()
            for name in live:
                if name not in ents and not name.startswith('.fuse_hidden'):
                    summary['lost_entries'].append(os.path.join(rel(dst), name))
            for name, (cino, isdir) in ents.items():
                if name.startswith('.fuse_hidden'):
                    continue
                if live.get(name) != cino:
                    summary['resurrected_entries'].append(os.path.join(rel(dst), name))
                src = where.get(cino)
                if src is None:
                    summary['errors'].append('durable entry %s has no inode %d' % (
                        os.path.join(rel(dst), name), cino))
                    continue
                d = os.path.join(dst, name)
                if isdir:
                    os.mkdir(d)
                    os.chmod(d, stat.S_IMODE(os.lstat(src).st_mode))
                    build(cino, d, os.path.join(live_dir, name) if live_dir else None)
                else:
                    os.link(src, d, follow_symlinks=False)

        build(rootino, new, self.root)
        old = self.root + '.crash-old'
        if os.path.exists(old):
            shutil.rmtree(old)
        os.rename(self.root, old)
        os.rename(new, self.root)
        shutil.rmtree(old)
        shutil.rmtree(self.grave)
        os.makedirs(self.grave)
        summary['lost_entries'] = summary['lost_entries'][:200]
        summary['resurrected_entries'] = summary['resurrected_entries'][:200]
        summary['seconds'] = round(time.time() - t0, 3)
        return summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('backing')
    ap.add_argument('mountpoint')
    ap.add_argument('--mode', choices=['strict', 'ext4'], default='strict')
    ap.add_argument('--log', default=None)
    ap.add_argument('--no-crash', action='store_true')
    ap.add_argument('--slow-fsync', default=None, help='SUFFIX:SECONDS delay fsync of matching files')
    ap.add_argument('--freeze-file', default=None, help='once this file exists, no fsync takes effect')
    ap.add_argument('--events', default=None, help='dump recent events here at unmount')
    ap.add_argument('--bad-reads', default=None,
                    help='while this file exists, its lines "NAME OFFSET" make reads of NAME fail')
    a = ap.parse_args()
    grave = os.path.realpath(a.backing) + '.grave'
    if os.path.exists(grave):
        shutil.rmtree(grave)
    fs = Lazy(a.backing, grave, a.mode, a.log)
    fs.slow = None
    fs.freeze = a.freeze_file
    fs.bad_reads = a.bad_reads
    if fs.freeze and os.path.exists(fs.freeze):
        os.unlink(fs.freeze)
    if a.slow_fsync:
        suf, sec = a.slow_fsync.rsplit(':', 1)
        fs.slow = (suf, float(sec))
    FUSE2(fs, a.mountpoint, foreground=True, nothreads=True, fsname='lazyfs',
          subtype='lazyfs', default_permissions=False)
    if a.events:
        with open(a.events, 'w') as f:
            for e in fs.events:
                f.write(json.dumps(e) + '\n')
    if a.no_crash:
        summary = {'mode': a.mode, 'stats': fs.stats, 'crash': False}
        shutil.rmtree(grave, ignore_errors=True)
    else:
        summary = fs.crash()
    line = json.dumps(summary)
    if a.log:
        with open(a.log, 'a') as f:
            f.write(line + '\n')
    print(line, flush=True)


if __name__ == '__main__':
    main()
