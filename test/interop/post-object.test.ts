/**
 * POST Object with clients nobody here wrote: boto3's generate_presigned_post sent by
 * python3-requests (the recipe of boto3's documentation, which Django and Flask apps use
 * for direct browser uploads), and curl -F with the same fields. Each stores the file
 * byte for byte; a file over the policy's content-length-range is refused, and so is a form
 * boto3 signs with SigV2 (its default), with a message that says to use s3v4.
 */
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { BOTO3_CLIENT, boto3Env, pythonWith } from '../helpers/python.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const BUCKET = 'post-interop';

let t: TestServer;
let work: string;

beforeAll(async () => {
  ensureDebianPackages({ '/usr/bin/curl': 'curl' });
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  work = mkdtempSync(path.join(tmpdir(), 'stowage-post-'));
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function bytesOf(key: string): Promise<Buffer> {
  const got = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe('POST Object with real clients', () => {
  const data = randomBytes(300 * 1024);

  it('boto3 generate_presigned_post + requests.post, and curl -F with the same fields', async () => {
    writeFileSync(path.join(work, 'asset.bin'), data);
    const python = pythonWith({ boto3: 'python3-boto3', requests: 'python3-requests' });
    const script = path.join(work, 'post.py');
    writeFileSync(
      script,
      String.raw`${BOTO3_CLIENT}import json, subprocess, sys
import requests

endpoint, access_key, secret_key, bucket, work = sys.argv[1:6]
s3 = s3_client(endpoint, access_key, secret_key)
out = {}
post = s3.generate_presigned_post(
    bucket,
    "boto3/${'$'}{filename}",
    Fields={"Content-Type": "application/octet-stream", "success_action_status": "201"},
    Conditions=[
        {"Content-Type": "application/octet-stream"},
        {"success_action_status": "201"},
        ["content-length-range", 1, 1024 * 1024],
    ],
    ExpiresIn=300,
)
with open(work + "/asset.bin", "rb") as f:
    r = requests.post(post["url"], data=post["fields"], files={"file": ("asset.bin", f)})
out["requests"] = [r.status_code, "<Key>boto3/asset.bin</Key>" in r.text]

small = s3.generate_presigned_post(
    bucket, "boto3/limited.bin", Conditions=[["content-length-range", 1, 1000]], ExpiresIn=300
)
with open(work + "/asset.bin", "rb") as f:
    r = requests.post(small["url"], data=small["fields"], files={"file": ("asset.bin", f)})
out["too_large"] = [r.status_code, "EntityTooLarge" in r.text]

# boto3's own default signs forms with SigV2, which is refused with a hint.
default = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=access_key,
    aws_secret_access_key=secret_key,
    region_name="us-east-1",
)
v2 = default.generate_presigned_post(bucket, "boto3/v2.bin", ExpiresIn=300)
r = requests.post(v2["url"], data=v2["fields"], files={"file": ("v2.bin", b"x")})
out["sigv2"] = [r.status_code, "AWSAccessKeyId" in v2["fields"], "signature_version to s3v4" in r.text]

curl_post = s3.generate_presigned_post(bucket, "curl/asset.bin", ExpiresIn=300)
args = ["/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"]
for k, v in curl_post["fields"].items():
    args += ["-F", k + "=" + v]
args += ["-F", "file=@" + work + "/asset.bin", curl_post["url"]]
out["curl"] = subprocess.run(args, capture_output=True, text=True).stdout
print(json.dumps(out))
`,
    );
    const r = await runPeer(
      python,
      [script, t.url, TEST_KEY.accessKeyId, TEST_KEY.secretAccessKey, BUCKET, work],
      boto3Env(python, work),
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      requests: [201, true],
      too_large: [400, true],
      sigv2: [400, true, true],
      curl: '204',
    });
    expect((await bytesOf('boto3/asset.bin')).equals(data)).toBe(true);
    expect((await bytesOf('curl/asset.bin')).equals(data)).toBe(true);
  });
});
