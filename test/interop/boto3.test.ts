/**
 * boto3 (from the machine's Python, or Debian's python3-boto3) against `stowage serve`:
 * a Python script drives the client (path-style, SigV4) and prints one JSON object of
 * results, which the tests check.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { BOTO3_CLIENT } from '../helpers/python.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const SCRIPT = String.raw`${BOTO3_CLIENT}import base64, hashlib, json, os, sys, tempfile, urllib.request
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
endpoint, access_key, secret_key, workdir = sys.argv[1:5]
s3 = s3_client(endpoint, access_key, secret_key)
out = {"boto3": boto3.__version__}
B = "boto-bucket"

def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None

s3.create_bucket(Bucket=B)
out["buckets"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]

body = "héllo wörld\n".encode()
put = s3.put_object(Bucket=B, Key="docs/hello.txt", Body=body, ContentType="text/plain", Metadata={"owner": "ziggie"})
out["put_etag"] = put["ETag"]
got = s3.get_object(Bucket=B, Key="docs/hello.txt")
out["get"] = {"body": got["Body"].read().decode(), "etag": got["ETag"], "type": got["ContentType"], "meta": got["Metadata"], "length": got["ContentLength"]}
head = s3.head_object(Bucket=B, Key="docs/hello.txt")
out["head"] = {"etag": head["ETag"], "length": head["ContentLength"], "meta": head["Metadata"]}
ck = s3.put_object(Bucket=B, Key="docs/checked.txt", Body=b"checksum me", ChecksumAlgorithm="SHA256")
ckh = s3.head_object(Bucket=B, Key="docs/checked.txt", ChecksumMode="ENABLED")
out["checksum"] = {"put": ck.get("ChecksumSHA256"), "head": ckh.get("ChecksumSHA256"), "expected": base64.b64encode(hashlib.sha256(b"checksum me").digest()).decode()}
s3.delete_object(Bucket=B, Key="docs/checked.txt")
rng = s3.get_object(Bucket=B, Key="docs/hello.txt", Range="bytes=0-4")
out["range"] = {"body": rng["Body"].read().decode(), "contentRange": rng["ContentRange"], "status": rng["ResponseMetadata"]["HTTPStatusCode"]}

for k in ["docs/a.txt", "docs/sub/b.txt", "docs/sub/c.txt", "img/x.png", "top.txt"]:
    s3.put_object(Bucket=B, Key=k, Body=k.encode())
lst = s3.list_objects_v2(Bucket=B, Delimiter="/")
out["list_root"] = {"keys": [c["Key"] for c in lst.get("Contents", [])], "prefixes": [p["Prefix"] for p in lst.get("CommonPrefixes", [])], "count": lst["KeyCount"]}
lst = s3.list_objects_v2(Bucket=B, Prefix="docs/", Delimiter="/")
out["list_docs"] = {"keys": [c["Key"] for c in lst.get("Contents", [])], "prefixes": [p["Prefix"] for p in lst.get("CommonPrefixes", [])]}
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=B, PaginationConfig={"PageSize": 2})
out["paged"] = [[c["Key"] for c in p.get("Contents", [])] for p in pages]

big = os.path.join(workdir, "big.bin")
data = os.urandom(20 * 1024 * 1024)
with open(big, "wb") as f:
    f.write(data)
MiB = 1024 * 1024
tc = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
s3.upload_file(big, B, "big/big.bin", Config=tc)
bh = s3.head_object(Bucket=B, Key="big/big.bin")
out["big_head"] = {"etag": bh["ETag"], "length": bh["ContentLength"]}
parts_md5 = b"".join(hashlib.md5(data[i:i + 5 * MiB]).digest() for i in range(0, len(data), 5 * MiB))
out["big_expected_etag"] = '"%s-%d"' % (hashlib.md5(parts_md5).hexdigest(), (len(data) + 5 * MiB - 1) // (5 * MiB))
back = os.path.join(workdir, "back.bin")
s3.download_file(B, "big/big.bin", back, Config=tc)
with open(back, "rb") as f:
    out["big_sha256"] = {"local": hashlib.sha256(data).hexdigest(), "downloaded": hashlib.sha256(f.read()).hexdigest()}

s3.copy_object(Bucket=B, Key="docs/copy.txt", CopySource={"Bucket": B, "Key": "docs/hello.txt"}, MetadataDirective="REPLACE", ContentType="text/markdown", Metadata={"stage": "copied"})
ch = s3.head_object(Bucket=B, Key="docs/copy.txt")
out["copy"] = {"type": ch["ContentType"], "meta": ch["Metadata"], "etag": ch["ETag"], "body": s3.get_object(Bucket=B, Key="docs/copy.txt")["Body"].read().decode()}

s3.put_object_tagging(Bucket=B, Key="docs/hello.txt", Tagging={"TagSet": [{"Key": "team", "Value": "art"}, {"Key": "tier", "Value": "hot"}]})
out["tags"] = sorted([[t["Key"], t["Value"]] for t in s3.get_object_tagging(Bucket=B, Key="docs/hello.txt")["TagSet"]])

VB = "boto-versions"
s3.create_bucket(Bucket=VB)
s3.put_bucket_versioning(Bucket=VB, VersioningConfiguration={"Status": "Enabled"})
out["versioning"] = s3.get_bucket_versioning(Bucket=VB).get("Status")
v1 = s3.put_object(Bucket=VB, Key="save.json", Body=b'{"v":1}')["VersionId"]
v2 = s3.put_object(Bucket=VB, Key="save.json", Body=b'{"v":2}')["VersionId"]
dm = s3.delete_object(Bucket=VB, Key="save.json")
vs = s3.list_object_versions(Bucket=VB)
out["versions"] = {
    "put": [v1, v2],
    "listed": [[v["VersionId"], v["IsLatest"], v["Size"]] for v in vs.get("Versions", [])],
    "markers": [[m["VersionId"], m["IsLatest"]] for m in vs.get("DeleteMarkers", [])],
    "deleteMarker": dm.get("DeleteMarker"),
    "deleteMarkerVersionId": dm.get("VersionId"),
    "old": s3.get_object(Bucket=VB, Key="save.json", VersionId=v1)["Body"].read().decode(),
    "current": code_of(lambda: s3.get_object(Bucket=VB, Key="save.json")),
}

dr = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "docs/a.txt"}, {"Key": "docs/sub/b.txt"}, {"Key": "never-existed"}]})
out["delete_objects"] = {"deleted": sorted(d["Key"] for d in dr.get("Deleted", [])), "errors": dr.get("Errors", [])}
out["after_delete"] = [c["Key"] for c in s3.list_objects_v2(Bucket=B, Prefix="docs/").get("Contents", [])]

url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=300)
with urllib.request.urlopen(url) as r:
    out["presigned"] = {"status": r.status, "body": r.read().decode(), "url_has_sig": "X-Amz-Signature=" in url}
try:
    urllib.request.urlopen(url.replace("hello.txt", "hello.txx"))
    out["presigned_tampered"] = 200
except urllib.error.HTTPError as e:
    out["presigned_tampered"] = e.code

out["errors"] = {
    "noSuchKey": code_of(lambda: s3.get_object(Bucket=B, Key="missing.txt")),
    "noSuchBucket": code_of(lambda: s3.get_object(Bucket="no-such-bucket-here", Key="x")),
    "listNoSuchBucket": code_of(lambda: s3.list_objects_v2(Bucket="no-such-bucket-here")),
    "headMissing": code_of(lambda: s3.head_object(Bucket=B, Key="missing.txt")),
}
print(json.dumps(out))
`;

/** The interpreter (its real path, not a pyenv shim) of a python3 that imports boto3. */
function pythonWithBoto3(): string | undefined {
  const candidates = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(path.delimiter))
    if (dir) candidates.add(path.join(dir, 'python3'));
  candidates.add('/root/.pyenv/shims/python3');
  candidates.add('/usr/bin/python3');
  const passThrough = Object.fromEntries(
    ['HOME', 'PYENV_ROOT', 'PYENV_VERSION'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]!]] : [],
    ),
  );
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    try {
      const exe = execFileSync(candidate, ['-c', 'import boto3, sys; print(sys.executable)'], {
        env: { ...passThrough, PATH: `${path.dirname(candidate)}:/usr/bin:/bin`, LANG: 'C.UTF-8' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30_000,
      }).trim();
      if (exe && existsSync(exe)) return exe;
    } catch {
      // No boto3 for this one; try the next.
    }
  }
  return undefined;
}

interface ErrorInfo {
  code: string;
  status: number;
}

interface Results {
  boto3: string;
  buckets: string[];
  put_etag: string;
  get: { body: string; etag: string; type: string; meta: Record<string, string>; length: number };
  head: { etag: string; length: number; meta: Record<string, string> };
  checksum: { put: string; head: string; expected: string };
  range: { body: string; contentRange: string; status: number };
  list_root: { keys: string[]; prefixes: string[]; count: number };
  list_docs: { keys: string[]; prefixes: string[] };
  paged: string[][];
  big_head: { etag: string; length: number };
  big_expected_etag: string;
  big_sha256: { local: string; downloaded: string };
  copy: { type: string; meta: Record<string, string>; etag: string; body: string };
  tags: Array<[string, string]>;
  versioning: string;
  versions: {
    put: [string, string];
    listed: Array<[string, boolean, number]>;
    markers: Array<[string, boolean]>;
    deleteMarker: boolean;
    deleteMarkerVersionId: string;
    old: string;
    current: ErrorInfo | null;
  };
  delete_objects: { deleted: string[]; errors: unknown[] };
  after_delete: string[];
  presigned: { status: number; body: string; url_has_sig: boolean };
  presigned_tampered: number;
  errors: Record<'noSuchKey' | 'noSuchBucket' | 'listNoSuchBucket' | 'headMissing', ErrorInfo>;
}

let t: TestServer;
let work: string;
let r: Results;

beforeAll(async () => {
  ensureDebianPackages({ '/usr/bin/python3': 'python3' });
  let python = pythonWithBoto3();
  if (!python) {
    ensureDebianPackages({ '/usr/lib/python3/dist-packages/boto3/__init__.py': 'python3-boto3' });
    python = pythonWithBoto3();
  }
  if (!python) throw new Error('no python3 with boto3, even after installing python3-boto3');
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-boto3-'));
  const script = path.join(work, 'interop.py');
  writeFileSync(script, SCRIPT);
  const run = await runPeer(
    python,
    [script, t.url, TEST_KEY.accessKeyId, TEST_KEY.secretAccessKey, work],
    {
      HOME: work,
      PATH: `${path.dirname(python)}:/usr/bin:/bin`,
      AWS_CONFIG_FILE: path.join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    { cwd: work, timeoutMs: 120_000 },
  );
  expect(run.code, `${python} interop.py\n${run.stderr}`).toBe(0);
  r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Results;
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('boto3 against stowage serve', () => {
  it('creates a bucket and round-trips an object with metadata', () => {
    expect(r.boto3).toMatch(/^\d+\.\d+/);
    expect(r.buckets).toEqual(['boto-bucket']);
    const etag = '"e51a0dabd365a5b1533d3f4b0e097fb3"'; // MD5 of "héllo wörld\n"
    expect(r.put_etag).toBe(etag);
    expect(r.get).toEqual({
      body: 'héllo wörld\n',
      etag,
      type: 'text/plain',
      meta: { owner: 'ziggie' },
      length: 14,
    });
    expect(r.head).toEqual({ etag, length: 14, meta: { owner: 'ziggie' } });
    expect(r.range).toEqual({ body: 'héll', contentRange: 'bytes 0-4/14', status: 206 });
  });

  it('stores and returns a SHA-256 checksum', () => {
    expect(r.checksum.put).toBe(r.checksum.expected);
    expect(r.checksum.head).toBe(r.checksum.expected);
  });

  it('lists with a delimiter and paginates', () => {
    expect(r.list_root).toEqual({ keys: ['top.txt'], prefixes: ['docs/', 'img/'], count: 3 });
    expect(r.list_docs).toEqual({
      keys: ['docs/a.txt', 'docs/hello.txt'],
      prefixes: ['docs/sub/'],
    });
    expect(r.paged).toEqual([
      ['docs/a.txt', 'docs/hello.txt'],
      ['docs/sub/b.txt', 'docs/sub/c.txt'],
      ['img/x.png', 'top.txt'],
    ]);
  });

  it('upload_file goes multipart and download_file returns the same bytes', () => {
    expect(r.big_head.length).toBe(20 * 1024 * 1024);
    expect(r.big_head.etag).toMatch(/-4"$/);
    expect(r.big_head.etag).toBe(r.big_expected_etag);
    expect(r.big_sha256.downloaded).toBe(r.big_sha256.local);
  });

  it('copy_object with MetadataDirective REPLACE', () => {
    expect(r.copy).toEqual({
      type: 'text/markdown',
      meta: { stage: 'copied' },
      etag: r.put_etag,
      body: 'héllo wörld\n',
    });
  });

  it('object tagging', () => {
    expect(r.tags).toEqual([
      ['team', 'art'],
      ['tier', 'hot'],
    ]);
  });

  it('versioning and list_object_versions', () => {
    const v = r.versions;
    expect(r.versioning).toBe('Enabled');
    expect(new Set(v.put).size).toBe(2);
    expect(v.listed).toEqual([
      [v.put[1], false, 7],
      [v.put[0], false, 7],
    ]);
    expect(v.deleteMarker).toBe(true);
    expect(v.markers).toEqual([[v.deleteMarkerVersionId, true]]);
    expect(v.old).toBe('{"v":1}');
    expect(v.current).toEqual({ code: 'NoSuchKey', status: 404 });
  });

  it('delete_objects', () => {
    expect(r.delete_objects).toEqual({
      deleted: ['docs/a.txt', 'docs/sub/b.txt', 'never-existed'],
      errors: [],
    });
    expect(r.after_delete).toEqual(['docs/copy.txt', 'docs/hello.txt', 'docs/sub/c.txt']);
  });

  it('a presigned GET works with urllib, and a tampered one is refused', () => {
    expect(r.presigned).toEqual({ status: 200, body: 'héllo wörld\n', url_has_sig: true });
    expect(r.presigned_tampered).toBe(403);
  });

  it('errors carry S3 codes', () => {
    expect(r.errors).toEqual({
      noSuchKey: { code: 'NoSuchKey', status: 404 },
      noSuchBucket: { code: 'NoSuchBucket', status: 404 },
      listNoSuchBucket: { code: 'NoSuchBucket', status: 404 },
      // HEAD has no body, so botocore names the error by its status.
      headMissing: { code: '404', status: 404 },
    });
  });
});
