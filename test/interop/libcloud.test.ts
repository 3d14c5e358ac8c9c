/**
 * Apache libcloud's MinIO storage driver (Debian's python3-libcloud) against `stowage
 * serve`, as a team moving off MinIO keeps using it: it signs with an empty region in the
 * credential scope (`AKID/yyyymmdd//s3/aws4_request`), which MinIO and Ceph RGW take. A
 * container is made, an object streamed up in parts and read back whole and by range,
 * listed and deleted.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const PYTHON = '/usr/bin/python3';
const LIBCLOUD = '/usr/lib/python3/dist-packages/libcloud/__init__.py';

const SCRIPT = `
import hashlib, json, os, sys
from libcloud.storage.drivers.minio import MinIOStorageDriver
port = int(sys.argv[1])
d = MinIOStorageDriver(os.environ['KEY'], os.environ['SECRET'], secure=False, host='127.0.0.1', port=port)
c = d.create_container('libcloud-minio')
body = bytes((i * 7 + i // 4099) % 251 for i in range(12 * 1024 * 1024 + 5))
obj = d.upload_object_via_stream(iter([body[i:i + 65536] for i in range(0, len(body), 65536)]), c,
                                 'assets/big.bin', extra={'content_type': 'application/octet-stream',
                                                          'meta_data': {'owner': 'art'}})
d.upload_object_via_stream(iter([b'small']), c, 'assets/small.txt')
got = b''.join(d.download_object_as_stream(d.get_object('libcloud-minio', 'assets/big.bin')))
part = b''.join(d.download_object_range_as_stream(obj, 1000, 2000))
listed = sorted(o.name for o in d.iterate_container_objects(c, prefix='assets/'))
meta = d.get_object('libcloud-minio', 'assets/big.bin').meta_data
d.delete_object(d.get_object('libcloud-minio', 'assets/small.txt'))
print(json.dumps({
  'sent': hashlib.md5(body).hexdigest(), 'got': hashlib.md5(got).hexdigest(),
  'range': part == body[1000:2000], 'listed': listed, 'meta': meta,
  'after': sorted(o.name for o in d.iterate_container_objects(c)),
  'containers': [x.name for x in d.list_containers()],
}))
`;

let t: TestServer;
let work: string;

beforeAll(async () => {
  ensureDebianPackages({ [PYTHON]: 'python3', [LIBCLOUD]: 'python3-libcloud' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-libcloud-'));
  writeFileSync(path.join(work, 'probe.py'), SCRIPT);
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('libcloud MinIOStorageDriver against stowage serve', () => {
  it('signs with an empty region, and creates, streams up, reads, lists and deletes', async () => {
    const r = await runPeer(
      PYTHON,
      [path.join(work, 'probe.py'), new URL(t.url).port],
      {
        HOME: work,
        PATH: '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        KEY: TEST_KEY.accessKeyId,
        SECRET: TEST_KEY.secretAccessKey,
      },
      { cwd: work, timeoutMs: 120_000 },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.got).toBe(out.sent);
    expect(out).toMatchObject({
      range: true,
      listed: ['assets/big.bin', 'assets/small.txt'],
      meta: { owner: 'art' },
      after: ['assets/big.bin'],
      containers: ['libcloud-minio'],
    });
    // Streamed in parts: a multipart object, as libcloud sends a stream.
    const head = await t.client.send(
      new HeadObjectCommand({ Bucket: 'libcloud-minio', Key: 'assets/big.bin' }),
    );
    expect(head.ContentLength).toBe(12 * 1024 * 1024 + 5);
    expect(head.ETag).toMatch(/-\d+"$/);
  });
});
