/**
 * Whether a bucket policy is "public" in S3's sense (Block Public Access, GetBucketPolicyStatus):
 * it allows a "bad action" (one that exposes data: s3:Get*, s3:List*, s3:Put*, s3:Delete*,
 * s3:AbortMultipartUpload, s3:RestoreObject) to a wildcard principal, and no condition pins
 * the request to fixed values of a key that only known parties can satisfy.
 */
import { S3_ACTIONS } from '../documents/policy-actions.js';
import { globMatcher } from './glob-match.js';
import type {
  PolicyCondition,
  PolicyDocument,
  PolicyPrincipal,
  PolicyStatement,
} from '../documents/policy.js';
import { ipInCidr } from './conditions.js';

/** Condition keys whose fixed values make a statement non-public (lower case). */
const FIXING_KEYS = new Set([
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:principalaccount',
  'aws:principalorgid',
  'aws:principalarn',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
]);

/** Operators that compare with fixed values (`…Like` only when the value has no wildcard). */
const FIXING_OPERATORS = new Set([
  'StringEquals',
  'StringEqualsIgnoreCase',
  'StringLike',
  'ArnEquals',
  'ArnLike',
]);

const BAD_ACTIONS = [
  's3:Get*',
  's3:List*',
  's3:Put*',
  's3:Delete*',
  's3:AbortMultipartUpload',
  's3:RestoreObject',
];

/**
 * IPv4 ranges wider than /8 and IPv6 ranges wider than /32 are treated as "anyone": a
 * condition on them does not make a statement private (AWS counts 0.0.0.0/1 as public). An
 * IPv6 range that holds IPv4-mapped addresses (`::ffff:0.0.0.0/96`, `::/80`) is judged by the
 * IPv4 clients it matches, as the evaluator matches them: wider than /8 if it matches
 * addresses with two different first octets.
 */
function isFixedCidr(cidr: string): boolean {
  const [addr = '', prefixText] = cidr.trim().split('/');
  const v6 = addr.includes(':');
  const prefix = prefixText === undefined ? (v6 ? 128 : 32) : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < (v6 ? 32 : 8)) return false;
  let firstOctets = 0;
  for (let octet = 0; octet < 256 && firstOctets < 2; octet++) {
    if (ipInCidr(`${octet}.1.2.3`, cidr)) firstOctets++;
  }
  return firstOctets < 2;
}

/**
 * A value that is not fixed: a wildcard, or a policy variable (`${aws:userid}` becomes
 * each caller's own value, so `StringEquals aws:userid ${aws:userid}` admits everyone).
 */
function hasWildcard(v: string): boolean {
  return v.includes('*') || v.includes('?') || v.includes('${');
}

function isFixingCondition(c: PolicyCondition): boolean {
  if (c.ifExists || c.qualifier !== undefined) return false;
  const key = c.key.toLowerCase();
  if (key === 'aws:sourceip') return c.operator === 'IpAddress' && c.values.every(isFixedCidr);
  if (!FIXING_OPERATORS.has(c.operator)) return false;
  if (c.values.some(hasWildcard)) return false;
  // `anonymous` is the aws:userid of every anonymous request (request-context.ts): fixing
  // the key to it admits everyone.
  if (key === 'aws:userid') {
    return c.values.every((v) => !/^AROA[A-Z0-9]+:/.test(v) && v.toLowerCase() !== 'anonymous');
  }
  return FIXING_KEYS.has(key);
}

function isWildcardPrincipal(p: PolicyPrincipal | undefined): boolean {
  if (p === undefined) return false;
  if (p === '*') return true;
  return (p.AWS ?? []).some((a) => a.includes('*'));
}

/** The S3 actions that expose data, by full name (`s3:GetObject`). */
const BAD_ACTION_NAMES = [...S3_ACTIONS.keys()]
  .map((name) => `s3:${name}`)
  .filter((name) => BAD_ACTIONS.some((bad) => globMatcher(bad).test(name)));

/**
 * Whether a statement's actions include a bad one. Each pattern is matched against every
 * bad action by name, so `s3:G?tObject` or `s3:*Object` count as they would be evaluated.
 */
function grantsBadAction(st: PolicyStatement): boolean {
  if (st.notAction) return true;
  return (st.action ?? []).some((a) => {
    if (a === '*') return true;
    const re = globMatcher(a);
    return BAD_ACTION_NAMES.some((name) => re.test(name));
  });
}

/** Whether one statement makes its policy public. */
export function isPublicStatement(st: PolicyStatement): boolean {
  if (st.effect !== 'Allow') return false;
  // NotPrincipal with Allow grants everyone but the named principals.
  if (!isWildcardPrincipal(st.principal) && st.notPrincipal === undefined) return false;
  if (!grantsBadAction(st)) return false;
  return !st.conditions.some(isFixingCondition);
}

/**
 * Whether a bucket policy is public.
 *
 * @example
 * isPublicPolicy(parsePolicy(seedPolicy, 'ziggie-cloud-assets')); // true
 */
export function isPublicPolicy(doc: PolicyDocument): boolean {
  let v = publicByDocument.get(doc);
  if (v === undefined) {
    v = doc.statements.some(isPublicStatement);
    publicByDocument.set(doc, v);
  }
  return v;
}

/**
 * Verdicts by parsed document: RestrictPublicBuckets asks on every anonymous request, and a
 * range condition is judged by probing the IPv4 clients it matches.
 */
const publicByDocument = new WeakMap<PolicyDocument, boolean>();
