/** Test helpers: IAM-style identities (non-root keys with policies), SDK clients for them, bucket policies. */
import { PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { parseIdentityPolicy } from '../../src/s3api/documents/policy.js';
import { principalArn, type Identity } from '../../src/s3api/identity.js';

/** A named key (not root) with one identity policy; its secret derives from its name. */
export function testIdentity(name: string, accessKeyId: string, policy: object): Identity {
  return {
    accessKeyId,
    secretAccessKey: `${name}-secret-0000000000000000000000`,
    name,
    root: false,
    arn: principalArn(name, false),
    policies: [parseIdentityPolicy(JSON.stringify(policy))],
  };
}

/** An SDK client (path style, us-east-1) signing with `user`'s key against `url`. */
export function clientAs(url: string, user: Identity): S3Client {
  return new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
  });
}

/** PutBucketPolicy of a 2012-10-17 policy holding `statements`, through `client`. */
export async function putBucketPolicy(
  client: S3Client,
  bucket: string,
  ...statements: object[]
): Promise<void> {
  await client.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
}
