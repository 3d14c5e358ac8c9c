/**
 * The bucket policy: the declared document with the helper statements merged in. Helper
 * statements have stable Sids so that a plan can tell them apart and they never drift.
 */
import { bucketArn, type PolicyJson } from './canonical.js';
import type { BucketDeclaration } from './schema.js';

/** Sid of the statement `publicRead:` expands to. */
export const PUBLIC_READ_SID = 'StowagePublicRead';
/** Sid of the statement `denyInsecureTransport: true` expands to. */
export const DENY_INSECURE_TRANSPORT_SID = 'StowageDenyInsecureTransport';

/** The policy JSON of a bucket, or undefined when it declares none of policy/publicRead/denyInsecureTransport. */
export function bucketPolicy(bucket: string, decl: BucketDeclaration): PolicyJson | undefined {
  const helpers: Record<string, unknown>[] = [];
  const arn = bucketArn(bucket);
  if (decl.publicRead && decl.publicRead.length > 0) {
    const resources = [...new Set(decl.publicRead)].map((prefix) => `${arn}/${prefix}*`);
    helpers.push({
      Sid: PUBLIC_READ_SID,
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: resources.length === 1 ? resources[0] : resources,
    });
  }
  if (decl.denyInsecureTransport) {
    helpers.push({
      Sid: DENY_INSECURE_TRANSPORT_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  }
  if (!decl.policy && helpers.length === 0) return undefined;
  const declared = structuredClone(decl.policy ?? {});
  const raw = declared.Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Record<
    string,
    unknown
  >[];
  return {
    ...declared,
    Version: typeof declared.Version === 'string' ? declared.Version : '2012-10-17',
    Statement: [...helpers, ...statements],
  };
}
