/** Every key of a bucket (under a prefix) through ListObjectsV2, page by page. */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** The keys under `prefix`, sorted. */
export async function keysOf(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return out.sort();
}
