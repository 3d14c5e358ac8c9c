import { describe, expect, it } from 'vitest';
import { classify, mountTypeOf } from './filesystem.js';

const MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:1 / / rw,relatime - ext4 /dev/vda rw',
  '40 27 0:40 / /mnt/nas rw,relatime - nfs4 10.0.0.5:/export rw',
  '41 27 0:41 / /mnt/studio\\040share rw - fuse.sshfs me@nas:/s rw',
  '42 27 8:17 / /media/usb rw - fuseblk /dev/sdb1 rw',
  '43 27 0:43 / /mnt/nas/local rw - tmpfs tmpfs rw',
  '',
].join('\n');

describe('mountTypeOf', () => {
  it('is the type of the mount with the longest mount point over the path', () => {
    expect(mountTypeOf(MOUNTINFO, '/srv/stowage')).toBe('ext4');
    expect(mountTypeOf(MOUNTINFO, '/mnt/nas')).toBe('nfs4');
    expect(mountTypeOf(MOUNTINFO, '/mnt/nas/stowage/data')).toBe('nfs4');
    expect(mountTypeOf(MOUNTINFO, '/mnt/nas/local/data')).toBe('tmpfs');
    // A mount point is a whole path segment: /mnt/nasty is not under /mnt/nas.
    expect(mountTypeOf(MOUNTINFO, '/mnt/nasty')).toBe('ext4');
  });

  it('reads octal escapes in mount points', () => {
    expect(mountTypeOf(MOUNTINFO, '/mnt/studio share/data')).toBe('fuse.sshfs');
  });

  it('takes the later of two mounts over one point', () => {
    const stacked = `${MOUNTINFO}50 40 0:50 / /mnt/nas rw - ext4 /dev/vdb rw\n`;
    expect(mountTypeOf(stacked, '/mnt/nas/x')).toBe('ext4');
  });

  it('is undefined without a mount table', () => {
    expect(mountTypeOf('', '/srv')).toBeUndefined();
  });
});

describe('classify', () => {
  it('calls network and FUSE file systems shared, naming them as mounted', () => {
    expect(classify(0x6969, 'nfs4')).toEqual({ type: 'nfs4', shared: true, memory: false });
    expect(classify(0xfe534d42, undefined)).toEqual({ type: 'smb2', shared: true, memory: false });
    expect(classify(0x65735546, 'fuse.sshfs')).toMatchObject({ type: 'fuse.sshfs', shared: true });
  });

  it('calls local disks, FUSE over a local disk (ntfs-3g, exfat-fuse) and tmpfs not shared', () => {
    expect(classify(0xef53, 'ext4')).toEqual({ type: 'ext4', shared: false, memory: false });
    expect(classify(0x58465342, undefined)).toEqual({
      type: '0x58465342',
      shared: false,
      memory: false,
    });
    expect(classify(0x65735546, 'fuseblk')).toMatchObject({ type: 'fuseblk', shared: false });
    expect(classify(0x01021994, 'tmpfs')).toEqual({ type: 'tmpfs', shared: false, memory: true });
  });
});
