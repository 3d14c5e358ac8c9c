/**
 * An x-amz-content-sha256 that is neither a payload mode nor a SHA-256 is S3's
 * InvalidArgument, naming the argument and echoing the value sent (found porting OpenStack
 * Swift's test/s3api/test_input_errors.py, whose AWS-mode assertions check both).
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const BUCKET = 'content-sha256-argument';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => t.close());

describe('x-amz-content-sha256', () => {
  it('an invalid value is InvalidArgument with ArgumentName and ArgumentValue', async () => {
    for (const [method, value] of [
      ['PUT', 'invalid'],
      ['PUT', 'unsigned-payload'],
      ['GET', 'INVALID'],
    ] as const) {
      const res = await signedFetch(t, method, `/${BUCKET}/k`, {
        body: method === 'PUT' ? 'data' : '',
        headers: { 'x-amz-content-sha256': value },
      });
      expect(res.status, value).toBe(400);
      const text = await res.text();
      expect(text).toContain('<Code>InvalidArgument</Code>');
      expect(text).toContain('<ArgumentName>x-amz-content-sha256</ArgumentName>');
      expect(text).toContain(`<ArgumentValue>${value}</ArgumentValue>`);
    }
  });
});
