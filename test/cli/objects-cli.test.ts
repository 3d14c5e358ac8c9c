/**
 * The store commands that move no file bytes (ls, mb, rb, stat, du, presign, restore,
 * set-class), run in-process against our embedded server and against Ceph RGW. The
 * embedded server is named with --endpoint-url and AWS_* env; RGW through a stowage.yaml
 * store (path-style, WHEN_REQUIRED checksums), so both ways of naming a store are used.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { cliFor } from '../helpers/cli-target.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { describeS3Targets } from '../helpers/s3-targets.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const home = tempDir('stowage-objects-home-');
afterAll(() => home.cleanup());

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const DATE = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';

describeS3Targets('object commands', (getTarget) => {
  let cli: (args: string[]) => Promise<CliResult>;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    const target = getTarget();
    cli = cliFor(target, home.dir);
    s3 = target.newClient();
    bucket = target.uniqueBucket('objcli');
    const mb = await cli(['mb', `s3://${bucket}`]);
    expect(mb.stderr).toBe('');
    expect(mb).toMatchObject({ code: 0, stdout: `make_bucket: ${bucket}\n` });
    const put = (Key: string, Body: string | Buffer, extra = {}) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
    await put('a.txt', 'hello', { ContentType: 'text/plain', Metadata: { origin: 'test' } });
    await put('big.bin', Buffer.alloc(2048, 1));
    await put('dir/b.txt', 'bb');
    await put('dir/sub/c.txt', 'ccc');
  });

  it('ls with no URL lists buckets with their creation dates', async () => {
    const r = await cli(['ls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${DATE} ${bucket}$`, 'm'));
  });

  it('ls lists one level as aws-cli does: PRE lines, then objects by base name', async () => {
    const r = await cli(['ls', `s3://${bucket}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${' '.repeat(27)}PRE dir/`);
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${DATE} +5 a\\.txt$`));
    expect(lines[2]).toMatch(new RegExp(`^${DATE} +2048 big\\.bin$`));
    const sub = await cli(['ls', `s3://${bucket}/dir/`]);
    expect(sub.stdout).toMatch(/^ +PRE sub\/\n.* +2 b\.txt\n$/);
  });

  it('ls --recursive --summarize --human-readable prints full keys and totals', async () => {
    const r = await cli(['ls', `s3://${bucket}`, '--recursive', '--summarize', '--human-readable']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ 2\.0 KiB big\.bin\n/);
    expect(r.stdout).toMatch(/ 5 Bytes a\.txt\n/);
    expect(r.stdout).toMatch(/ 3 Bytes dir\/sub\/c\.txt\n/);
    expect(r.stdout).toMatch(/\nTotal Objects: 4\n {3}Total Size: 2\.0 KiB\n$/);
    const plain = await cli(['ls', `s3://${bucket}`, '--recursive', '--summarize']);
    expect(plain.stdout).toMatch(/Total Objects: 4\n {3}Total Size: 2058\n$/);
  });

  it('ls pages through a listing (--page-size) and prints one JSON object per line with --json', async () => {
    const r = await cli(['--json', 'ls', `s3://${bucket}`, '--recursive', '--page-size', '1']);
    expect(r.code).toBe(0);
    const items = jsonLines(r.stdout);
    expect(items.map((i) => i.key)).toEqual(['a.txt', 'big.bin', 'dir/b.txt', 'dir/sub/c.txt']);
    expect(items[0]).toMatchObject({ type: 'object', size: 5, storageClass: 'STANDARD' });
    const top = jsonLines((await cli(['ls', `s3://${bucket}`, '--json'])).stdout);
    expect(top[0]).toEqual({ type: 'prefix', prefix: 'dir/' });
  });

  it('ls of a prefix that matches nothing exits 1 with a note', async () => {
    const r = await cli(['ls', `s3://${bucket}/nothing-here/`]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`nothing matches s3://${bucket}/nothing-here/`);
  });

  it('a missing bucket is a clear not-found error', async () => {
    const missing = `missing-${bucket}`.slice(0, 63);
    const r = await cli(['ls', `s3://${missing}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`s3://${missing}/`);
    expect(r.stderr).toMatch(/\(E_NO_SUCH_BUCKET\)/);
    const json = await cli(['--json', 'du', `s3://${missing}`]);
    expect(json.code).toBe(3);
    expect(jsonLines(json.stdout)[0]).toMatchObject({ error: { code: 'E_NO_SUCH_BUCKET' } });
  });

  it('stat prints size, type, metadata, class and versions', async () => {
    const r = await cli(['stat', `s3://${bucket}/a.txt`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Size: +5$/m);
    expect(r.stdout).toMatch(/^Content-Type: +text\/plain$/m);
    expect(r.stdout).toMatch(/^Storage class: +STANDARD$/m);
    expect(r.stdout).toMatch(/^ {2}origin: test$/m);
    expect(r.stdout).toMatch(/^Versions: +1$/m);
    const json = jsonLines((await cli(['--json', 'stat', `s3://${bucket}/a.txt`])).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      bucket,
      key: 'a.txt',
      size: 5,
      metadata: { origin: 'test' },
      storageClass: 'STANDARD',
    });
    expect((json[0]!.versions as unknown[]).length).toBe(1);
  });

  it('stat names the part count of a multipart object, as the ETag carries it on every server', async () => {
    // S3 sends x-amz-mp-parts-count only for a HEAD with partNumber; the ETag's "-N" is the
    // count every server gives.
    const key = 'multi.bin';
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const parts = [];
    for (const [n, body] of [Buffer.alloc(5 * 1024 * 1024, 2), Buffer.from('z')].entries()) {
      const p = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: up.UploadId,
          PartNumber: n + 1,
          Body: body,
        }),
      );
      parts.push({ PartNumber: n + 1, ETag: p.ETag });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: up.UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    try {
      const r = await cli(['stat', `s3://${bucket}/${key}`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ETag: +"[0-9a-f]{32}-2" \(2 parts\)$/m);
      const json = jsonLines((await cli(['--json', 'stat', `s3://${bucket}/${key}`])).stdout);
      expect(json[0]).toMatchObject({ size: 5 * 1024 * 1024 + 1, partsCount: 2 });
      const plain = jsonLines((await cli(['--json', 'stat', `s3://${bucket}/a.txt`])).stdout);
      expect(plain[0]!.partsCount).toBeUndefined();
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
  });

  it('stat of a missing key exits 3 naming the URL; stat of a bucket URL is a usage error', async () => {
    const r = await cli(['stat', `s3://${bucket}/nope.txt`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`s3://${bucket}/nope.txt does not exist (E_NO_SUCH_KEY)`);
    const usage = await cli(['stat', `s3://${bucket}/`]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('stat needs an object URL');
  });

  it('du sums objects and bytes, by class with --by-class', async () => {
    const r = await cli(['du', `s3://${bucket}`, '--by-class']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^ +2058  4 objects +s3://${bucket}/\\n +2058  4 objects +STANDARD\\n$`),
    );
    const dir = jsonLines((await cli(['--json', 'du', `s3://${bucket}/dir/`])).stdout);
    expect(dir).toEqual([
      { url: `s3://${bucket}/dir/`, bucket, prefix: 'dir/', objects: 2, bytes: 5 },
    ]);
    const all = await cli(['du', '--human-readable']);
    expect(all.stdout).toMatch(new RegExp(`2\\.0 KiB  4 objects +s3://${bucket}/`));
  });

  it('presign makes GET and PUT URLs that work with a plain fetch()', async () => {
    const get = await cli(['presign', `s3://${bucket}/a.txt`, '--expires-in', '300']);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    const url = get.stdout.trim();
    expect(url).toMatch(/X-Amz-Expires=300/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');

    const put = await cli(['--json', 'presign', `s3://${bucket}/uploaded.txt`, '--method', 'PUT']);
    expect(put.code).toBe(0);
    const [line] = jsonLines(put.stdout);
    expect(line).toMatchObject({ method: 'PUT' });
    // The SDK would sign the CRC32 of an empty body into the URL (AAAAAA==): S3 ignores it,
    // MinIO, R2 and SeaweedFS refuse every non-empty upload through such a URL.
    const params = [...new URL(line!.url as string).searchParams.keys()].map((k) =>
      k.toLowerCase(),
    );
    expect(params).toContain('x-amz-signature');
    expect(params.filter((k) => k.includes('checksum'))).toEqual([]);
    const up = await fetch(line!.url as string, { method: 'PUT', body: 'via presigned PUT' });
    expect(up.status).toBe(200);
    const back = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'uploaded.txt' }));
    expect(await back.Body?.transformToString()).toBe('via presigned PUT');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'uploaded.txt' }));

    // --content-type is signed: the uploader must send that type and no other.
    const typed = await cli([
      'presign',
      `s3://${bucket}/typed.png`,
      '--method',
      'PUT',
      '--content-type',
      'image/png',
    ]);
    expect(typed.code).toBe(0);
    const typedUrl = typed.stdout.trim();
    expect(new URL(typedUrl).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    const wrong = await fetch(typedUrl, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'not a png',
    });
    expect(wrong.status).toBe(403);
    await wrong.arrayBuffer();
    const right = await fetch(typedUrl, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: 'a png',
    });
    expect(right.status).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'typed.png' }));
    expect(head.ContentType).toBe('image/png');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'typed.png' }));
  });

  it('set-class changes one object in place, keeping its metadata', async () => {
    const target = getTarget();
    const r = await cli(['set-class', `s3://${bucket}/big.bin`, 'standard_ia']);
    if (target.kind === 'rgw') {
      // RGW has only the STANDARD placement class unless an operator adds more: the store's
      // refusal is reported for the item, not a crash.
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `stowage: s3://${bucket}/big.bin: the store does not accept storage class STANDARD_IA (it answered InvalidArgument) (E_INVALID_STORAGE_CLASS)\n`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({
      code: 0,
      stdout: `set-class: s3://${bucket}/big.bin STANDARD -> STANDARD_IA\n`,
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(head.StorageClass).toBe('STANDARD_IA');
    const again = await cli(['set-class', `s3://${bucket}/big.bin`, 'STANDARD_IA']);
    expect(again.stdout).toBe(`skip: s3://${bucket}/big.bin (already STANDARD_IA)\n`);
    const a = await cli(['set-class', `s3://${bucket}/a.txt`, 'GLACIER']);
    expect(a.code).toBe(0);
    const meta = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a.txt' }));
    expect(meta).toMatchObject({
      StorageClass: 'GLACIER',
      ContentType: 'text/plain',
      Metadata: { origin: 'test' },
    });
  });

  it('set-class --recursive reports one line per object; du --by-class sees the classes', async () => {
    const target = getTarget();
    const r = await cli(['--json', 'set-class', `s3://${bucket}/dir/`, 'GLACIER', '--recursive']);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.url).sort()).toEqual([
      `s3://${bucket}/dir/b.txt`,
      `s3://${bucket}/dir/sub/c.txt`,
    ]);
    if (target.kind === 'rgw') {
      expect(r.code).toBe(1);
      expect(lines.every((l) => l.ok === false)).toBe(true);
      expect(lines[0]).toMatchObject({ error: { code: 'E_INVALID_STORAGE_CLASS' } });
      return;
    }
    expect(r.code).toBe(0);
    expect(lines.every((l) => l.ok === true && l.to === 'GLACIER')).toBe(true);
    const du = jsonLines((await cli(['--json', 'du', `s3://${bucket}`, '--by-class'])).stdout);
    expect(du[0]!.byClass).toEqual({
      GLACIER: { objects: 3, bytes: 10 },
      STANDARD_IA: { objects: 1, bytes: 2048 },
    });
  });

  it('restore asks for a temporary copy of an archived object', async () => {
    const target = getTarget();
    const url = `s3://${bucket}/dir/b.txt`;
    const r = await cli(['restore', url, '--days', '2', '--tier', 'bulk']);
    if (target.kind === 'rgw') {
      // The object is STANDARD here (RGW refused GLACIER above); RGW refuses the restore.
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `stowage: ${url}: the store does not implement RestoreObject (it has no archive storage classes to restore from) (E_NOT_IMPLEMENTED)\n`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: `restore: ${url}: started (Bulk, 2 days)\n` });
    const again = await cli(['restore', url, '--days', '2', '--tier', 'bulk']);
    expect(again.stdout).toBe(`restore: ${url}: a restore is already in progress\n`);
    // The same Days with a faster tier speeds the running restore up, as S3 allows.
    const faster = await cli(['restore', url, '--days', '2']);
    expect(faster.stdout).toBe(`restore: ${url}: started (Standard, 2 days)\n`);
    const stat = await cli(['stat', url]);
    expect(stat.stdout).toMatch(/^Restore: +in progress$/m);
  });

  it('rb refuses a non-empty bucket; rb --force removes every version and delete marker', async () => {
    const target = getTarget();
    const refused = await cli(['rb', `s3://${bucket}`]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('is not empty');
    expect(refused.stderr).toContain('rb --force');

    const versioned = target.uniqueBucket('objcli-ver');
    expect((await cli(['mb', `s3://${versioned}`])).code).toBe(0);
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: versioned,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: versioned, Key: 'k', Body: 'v1' }));
    await s3.send(new PutObjectCommand({ Bucket: versioned, Key: 'k', Body: 'v2' }));
    await s3.send(new DeleteObjectCommand({ Bucket: versioned, Key: 'k' }));
    const plain = await cli(['rb', `s3://${versioned}`]);
    expect(plain.code).toBe(4);
    const forced = await cli(['rb', `s3://${versioned}`, '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    const out = forced.stdout.trimEnd().split('\n');
    expect(out.filter((l) => l.startsWith(`delete: s3://${versioned}/k (version `))).toHaveLength(
      2,
    );
    expect(
      out.filter((l) => l.startsWith(`delete: s3://${versioned}/k (delete marker `)),
    ).toHaveLength(1);
    expect(out.at(-1)).toBe(`remove_bucket: ${versioned}`);
    await expect(s3.send(new HeadBucketCommand({ Bucket: versioned }))).rejects.toThrow();

    const all = await cli(['--json', 'rb', `s3://${bucket}`, '--force']);
    expect(all.code).toBe(0);
    const lines = jsonLines(all.stdout);
    expect(lines.filter((l) => l.type === 'delete')).toHaveLength(4);
    expect(lines.at(-1)).toEqual({ type: 'remove_bucket', bucket });
  });
  it('rm --recursive and rb --force delete keys XML cannot carry one by one, the rest of the batch as usual, and print them escaped', async () => {
    const target = getTarget();
    const keys = ['a-normal', 'ctl\u0001key', 'evil\u001b[2Jname\nsecond', 'z-normal'];
    const plain = target.uniqueBucket('objcli-ctl');
    expect((await cli(['mb', `s3://${plain}`])).code).toBe(0);
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: plain, Key, Body: 'x' }));
    const rm = await cli(['rm', `s3://${plain}/`, '--recursive']);
    expect(rm.stderr).toMatch(/^Completed: 4 deleted;[^\n]*\n$/);
    expect(rm.code).toBe(0);
    expect(rm.stdout).not.toContain('\u001b');
    expect(rm.stdout).toContain(`delete: ${JSON.stringify(`s3://${plain}/ctl\u0001key`)}`);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: plain }))).KeyCount).toBe(0);

    const versioned = target.uniqueBucket('objcli-ctlv');
    expect((await cli(['mb', `s3://${versioned}`])).code).toBe(0);
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: versioned,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    for (const Key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: versioned, Key, Body: 'x' }));
      await s3.send(new DeleteObjectCommand({ Bucket: versioned, Key }));
    }
    const rb = await cli(['rb', `s3://${versioned}`, '--force']);
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    expect(rb.stdout).not.toContain('\u001b');
    const deletes = rb.stdout.split('\n').filter((l) => l.startsWith('delete: '));
    expect(deletes).toHaveLength(8);
    expect(
      deletes.filter((l) =>
        l.startsWith(`delete: ${JSON.stringify(`s3://${versioned}/evil\u001b[2Jname\nsecond`)} (`),
      ),
    ).toHaveLength(2);
    await expect(s3.send(new HeadBucketCommand({ Bucket: versioned }))).rejects.toThrow();
  });

  it('rb --force leaves versions Object Lock protects, and --bypass-governance-retention lifts GOVERNANCE', async () => {
    const target = getTarget();
    const locked = target.uniqueBucket('objcli-lock');
    await s3.send(new CreateBucketCommand({ Bucket: locked, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectCommand({
        Bucket: locked,
        Key: 'backup.tar',
        Body: 'b',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
      }),
    );
    // stat shows the lock, as text and as JSON.
    const stat = await cli(['stat', `s3://${locked}/backup.tar`]);
    expect(stat.stdout).toMatch(/^Object Lock: +GOVERNANCE until \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    const statJson = JSON.parse(
      (await cli(['--json', 'stat', `s3://${locked}/backup.tar`])).stdout,
    );
    expect(statJson.objectLock).toEqual({ mode: 'GOVERNANCE', retainUntil: expect.any(String) });
    const refused = await cli(['rb', `s3://${locked}`, '--force']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`s3://${locked}/backup.tar`);
    expect(refused.stderr).toContain('was not removed');
    await s3.send(new HeadBucketCommand({ Bucket: locked }));
    const usage = await cli(['rb', `s3://${locked}`, '--bypass-governance-retention']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('only applies with --force');
    const forced = await cli(['rb', `s3://${locked}`, '--force', '--bypass-governance-retention']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout.trimEnd().split('\n').at(-1)).toBe(`remove_bucket: ${locked}`);
    await expect(s3.send(new HeadBucketCommand({ Bucket: locked }))).rejects.toThrow();
  });
});

describe('object commands: usage errors (exit 2, naming the bad value)', () => {
  const env = { HOME: home.dir, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
  const cases: [string[], RegExp][] = [
    [['ls', 's3:/assets'], /invalid S3 URL "s3:\/assets"/],
    [['ls', 'http://example.com/x'], /"http:\/\/example.com\/x"/],
    [['ls', 's3://Bad_Bucket/x'], /bucket name "Bad_Bucket"/],
    [['ls', 's3://assets', '--page-size', '0'], /invalid --page-size "0"/],
    [['mb', 's3://assets/key'], /invalid bucket URL "s3:\/\/assets\/key"/],
    [['rb', 's3://'], /the bucket name is empty/],
    [['presign', 's3://assets/a', '--expires-in', '604801'], /invalid --expires-in "604801"/],
    [['presign', 's3://assets/a', '--expires-in', '0'], /invalid --expires-in "0"/],
    [['presign', 's3://assets/a', '--expires-in', 'soon'], /invalid --expires-in "soon"/],
    [['presign', 's3://assets/a', '--method', 'DELETE'], /invalid --method "DELETE"/],
    [['presign', 's3://assets/'], /presign needs an object URL/],
    [['restore', 's3://assets/a', '--days', '0'], /invalid --days "0"/],
    [['restore', 's3://assets/a', '--days', '1', '--tier', 'Fast'], /invalid --tier "Fast"/],
    [['restore', 's3://assets/a'], /--days/],
    [
      ['restore', 's3://assets/a', '--days', '1', '--wait', '--timeout', 'forever'],
      /invalid duration "forever"/,
    ],
    [['set-class', 's3://assets/a', 'COLD'], /invalid storage class "COLD"/],
    [['set-class', 's3://assets/dir/', 'GLACIER'], /names no object/],
    [['stat', 's3://assets'], /stat needs an object URL/],
  ];
  it.each(cases)('stowage %j', async (args, message) => {
    // The endpoint does not exist: a usage error is found before any request is made.
    const r = await runCli(['--endpoint-url', 'http://127.0.0.1:9', ...args], { env });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('restore --wait (embedded server, engine clock)', () => {
  let t: TestServer;
  let cli: (args: string[]) => Promise<CliResult>;
  const bucket = 'restore-wait';

  beforeAll(async () => {
    t = await startTestServer();
    const env = {
      HOME: home.dir,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    };
    cli = (args) => runCli(['--endpoint-url', t.url, ...args], { env });
    expect((await cli(['mb', `s3://${bucket}`])).code).toBe(0);
    for (const Key of ['cold.bin', 'colder.bin']) {
      await t.client.send(
        new PutObjectCommand({ Bucket: bucket, Key, Body: 'archived', StorageClass: 'GLACIER' }),
      );
    }
  });
  afterAll(() => t.close());

  it('waits until the restore completes (the engine clock moves past its delay)', async () => {
    const url = `s3://${bucket}/cold.bin`;
    const pending = cli([
      'restore',
      url,
      '--days',
      '1',
      '--tier',
      'Expedited',
      '--wait',
      '--poll-interval',
      '50ms',
    ]);
    // Move time only once the restore has started, else it would start in the future.
    for (;;) {
      const head = await t.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cold.bin' }));
      if (head.Restore) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await t.server.engine.advanceClock(6 * 60_000);
    const r = await pending;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^restore: ${url}: started \\(Expedited, 1 day\\)\\nrestored: ${url} \\(readable until \\d{4}-.*Z\\)\\n$`,
      ),
    );
    const stat = await cli(['stat', url]);
    expect(stat.stdout).toMatch(/^Restore: +restored, readable until /m);
  });

  it('gives up after --timeout with a clear error', async () => {
    const url = `s3://${bucket}/colder.bin`;
    const r = await cli([
      'restore',
      url,
      '--days',
      '1',
      '--wait',
      '--timeout',
      '300ms',
      '--poll-interval',
      '50ms',
    ]);
    expect(r.stderr).toMatch(
      /colder\.bin: the restore was still running after \d+ s \(E_REQUEST_TIMEOUT\)/,
    );
    expect(r.code).toBe(7);
  });

  it('mb sends the --region as LocationConstraint', async () => {
    const r = await cli(['--region', 'eu-west-1', 'mb', 's3://in-ireland']);
    expect(r).toMatchObject({ code: 0, stdout: 'make_bucket: in-ireland\n' });
    const where = await t.client.send(new GetBucketLocationCommand({ Bucket: 'in-ireland' }));
    expect(where.LocationConstraint).toBe('eu-west-1');
    const again = await cli(['mb', 's3://in-ireland']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/in-ireland.*\(E_BUCKET_ALREADY_OWNED_BY_YOU\)/);
  });

  it('restore of a STANDARD object is refused with the reason', async () => {
    await t.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'warm.txt', Body: 'w' }));
    const r = await cli(['restore', `s3://${bucket}/warm.txt`, '--days', '1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/warm\.txt.*\(E_INVALID_OBJECT_STATE\)/);
  });
});
