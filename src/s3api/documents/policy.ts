/**
 * PutBucketPolicy: a JSON access policy. S3 refuses a policy it could not evaluate
 * (MalformedPolicy): unknown fields, actions, condition operators or principals, and
 * resources outside the bucket. The parsed document is what policy evaluation uses.
 */
import { StowageError } from '../../errors.js';
import { globMatcher } from '../policy/glob-match.js';
import { actionScopes, type S3ActionScope } from './policy-actions.js';
import { duplicateMember } from './json-duplicates.js';
import { parseConditions, type PolicyCondition } from './policy-conditions.js';

export type { PolicyCondition } from './policy-conditions.js';

/** The policy language versions S3 accepts. */
export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;

/** S3's limit on a bucket policy's size. */
export const MAX_POLICY_BYTES = 20 * 1024;

/** Everyone (`"*"`), or principals by type; each list holds at least one entry. */
export type PolicyPrincipal =
  '*' | { AWS?: string[]; Service?: string[]; CanonicalUser?: string[]; Federated?: string[] };

/** One statement, with every string-or-array field normalised to an array. */
export interface PolicyStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  principal?: PolicyPrincipal;
  notPrincipal?: PolicyPrincipal;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: PolicyCondition[];
}

/** A validated bucket policy. */
export interface PolicyDocument {
  version: (typeof POLICY_VERSIONS)[number];
  id?: string;
  statements: PolicyStatement[];
  /**
   * S3 actions of an identity policy that S3 does not have (`s3:GetObjectMetadata`): IAM
   * accepts them, and they match no request. Worth a warning; absent when there are none.
   */
  unrecognizedActions?: string[];
}

const TOP_FIELDS = ['Version', 'Id', 'Statement'];
const STATEMENT_FIELDS = [
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
];
const PRINCIPAL_TYPES = ['AWS', 'Service', 'CanonicalUser', 'Federated'] as const;

function malformedPolicy(message: string): StowageError {
  return new StowageError('E_MALFORMED_POLICY', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty array of strings, as an array. */
function stringList(v: unknown, field: string, where: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
    throw malformedPolicy(
      `"${field}" in ${where} must be a string or a non-empty array of strings`,
    );
  }
  return list as string[];
}

function checkAwsPrincipal(p: string, where: string): void {
  // IAM matches principals exactly: `user/*` would look like a rule and match no one,
  // so a Deny on it denies nothing. S3 refuses such a policy.
  if (p !== '*' && p.includes('*')) {
    throw malformedPolicy(
      `Invalid principal in policy: "${p}": a wildcard can only be the whole principal ("*") (${where})`,
    );
  }
  const ok =
    p === '*' ||
    /^\d{12}$/.test(p) ||
    /^arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::[^:\s]+:\S.*$/.test(p) ||
    /^A[A-Z0-9]{15,127}$/.test(p);
  if (!ok) throw malformedPolicy(`Invalid principal in policy: "${p}" (${where})`);
}

function parsePrincipal(v: unknown, field: string, where: string): PolicyPrincipal {
  if (v === '*') return '*';
  if (!isObject(v) || Object.keys(v).length === 0) {
    throw malformedPolicy(
      `Invalid principal in policy: "${field}" in ${where} must be "*" or an object`,
    );
  }
  const out: Exclude<PolicyPrincipal, '*'> = {};
  for (const [type, value] of Object.entries(v)) {
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(type)) {
      throw malformedPolicy(
        `Invalid principal in policy: unknown principal type "${type}" in ${where}; use ${PRINCIPAL_TYPES.join(', ')}`,
      );
    }
    const list = stringList(value, `${field}.${type}`, where);
    for (const p of list) {
      if (p.trim() === '')
        throw malformedPolicy(`Invalid principal in policy: empty ${type} in ${where}`);
      if (type === 'AWS') checkAwsPrincipal(p, where);
      if (type === 'CanonicalUser' && !/^[0-9a-f]{64}$/i.test(p)) {
        throw malformedPolicy(
          `Invalid principal in policy: "${p}" is not a canonical user id (${where})`,
        );
      }
    }
    out[type as (typeof PRINCIPAL_TYPES)[number]] = list;
  }
  return out;
}

/** A bucket policy (about one bucket, with principals) or an identity policy (a key's own). */
type PolicyKind = { kind: 'bucket'; bucket: string } | { kind: 'identity' };

/** How strictly a policy is read. */
export interface ParseOptions {
  /**
   * For policies being put or configured: refuse condition values their operator can never
   * compare (see parseConditions), a JSON name given twice in one object, and a condition
   * key given twice in one block. A stored policy read back is taken as it was taken.
   */
  strict?: boolean;
}

function actionScopesOf(
  actions: string[],
  where: string,
  kind: PolicyKind,
  unrecognized: string[],
): Set<S3ActionScope> {
  const scopes = new Set<S3ActionScope>();
  for (const a of actions) {
    if (a === '*') {
      for (const s of ['object', 'bucket', 'other'] as const) scopes.add(s);
      continue;
    }
    const m = /^([A-Za-z0-9-]+):(.+)$/.exec(a);
    // An identity policy may name other services' actions (IAM accepts them); they never
    // match an S3 request.
    if (m && kind.kind === 'identity' && m[1]?.toLowerCase() !== 's3') {
      scopes.add('other');
      continue;
    }
    const found =
      m && m[1]?.toLowerCase() === 's3' ? actionScopes(m[2] as string) : new Set<S3ActionScope>();
    // IAM takes an S3 action name it does not know (its policy summary lists it under
    // "Unrecognized actions"); S3 refuses one in a bucket policy.
    if (found.size === 0 && m && kind.kind === 'identity' && /^[A-Za-z0-9*?]+$/.test(m[2]!)) {
      unrecognized.push(a);
      continue;
    }
    if (found.size === 0) throw malformedPolicy(`Policy has invalid action: "${a}" (${where})`);
    for (const s of found) scopes.add(s);
  }
  return scopes;
}

/**
 * An S3 ARN with wildcards in its partition, region or account (`arn:*:s3:*:*:b/*`; IAM
 * allows them in every segment) written as the ARN it can match, `arn:aws:s3:::b/*`: an
 * S3 resource has the partition `aws` here and no region or account. Anything else is
 * returned as it is.
 */
function s3ArnOf(r: string): string {
  const m = /^arn:([^:]*):s3:([^:]*):([^:]*):(.+)$/.exec(r);
  if (!m || !/[*?]/.test(`${m[1]}:${m[2]}:${m[3]}`)) return r;
  const only = (segment: string, value: string) => globMatcher(segment, false).test(value);
  return only(m[1]!, 'aws') && only(m[2]!, '') && only(m[3]!, '') ? `arn:aws:s3:::${m[4]}` : r;
}

/** What a resource ARN can match: the bucket, its objects, or both (wildcards). */
function resourceScopes(r: string, kind: PolicyKind, where: string): S3ActionScope[] {
  if (r === '*')
    return kind.kind === 'identity' ? ['bucket', 'object', 'other'] : ['bucket', 'object'];
  if (kind.kind === 'identity' && /^arn:[^:]+:(?!s3:)[a-z0-9-]*:/.test(r)) return ['other'];
  const m = /^arn:aws(?:-cn|-us-gov)?:s3:::([^/]+)(\/.*)?$/.exec(r);
  if (!m) {
    throw malformedPolicy(
      kind.kind === 'identity'
        ? `Policy has invalid resource: "${r}" is not an ARN (${where})`
        : `Policy has invalid resource: "${r}" is not bucket "${kind.bucket}" or an object in it (${where})`,
    );
  }
  // ARNs are case-sensitive; `*` and `?` in the bucket part must still match this bucket.
  if (kind.kind === 'bucket' && !globMatcher(m[1] as string, false).test(kind.bucket)) {
    throw malformedPolicy(
      `Policy has invalid resource: "${r}" is not bucket "${kind.bucket}" or an object in it (${where})`,
    );
  }
  if (m[2] !== undefined) return ['object'];
  return (m[1] as string).includes('*') ? ['bucket', 'object'] : ['bucket'];
}

function parseStatement(
  v: unknown,
  index: number,
  kind: PolicyKind,
  unrecognized: string[],
  options: ParseOptions,
): PolicyStatement {
  if (!isObject(v)) throw malformedPolicy(`statement ${index + 1} must be a JSON object`);
  const where =
    typeof v.Sid === 'string' && v.Sid ? `statement "${v.Sid}"` : `statement ${index + 1}`;
  for (const field of Object.keys(v)) {
    if (!STATEMENT_FIELDS.includes(field)) {
      throw malformedPolicy(`Unknown field "${field}" in ${where}`);
    }
  }
  if (v.Sid !== undefined && typeof v.Sid !== 'string') {
    throw malformedPolicy(`"Sid" in ${where} must be a string`);
  }
  if (v.Effect === undefined) throw malformedPolicy(`Missing required field Effect (${where})`);
  if (v.Effect !== 'Allow' && v.Effect !== 'Deny') {
    throw malformedPolicy(
      `Invalid effect: ${JSON.stringify(v.Effect)} (${where}); use Allow or Deny`,
    );
  }
  const st: PolicyStatement = { effect: v.Effect, conditions: [] };
  if (v.Sid !== undefined) st.sid = v.Sid as string;
  const pair = (a: string, b: string): void => {
    if (v[a] !== undefined && v[b] !== undefined) {
      throw malformedPolicy(`${where} may not have both ${a} and ${b}`);
    }
    if (v[a] === undefined && v[b] === undefined) {
      throw malformedPolicy(`Missing required field ${a} (${where})`);
    }
  };
  if (kind.kind === 'identity') {
    if (v.Principal !== undefined || v.NotPrincipal !== undefined) {
      throw malformedPolicy(`Policy document should not specify a principal (${where})`);
    }
  } else pair('Principal', 'NotPrincipal');
  pair('Action', 'NotAction');
  pair('Resource', 'NotResource');
  if (v.Principal !== undefined) st.principal = parsePrincipal(v.Principal, 'Principal', where);
  if (v.NotPrincipal !== undefined) {
    st.notPrincipal = parsePrincipal(v.NotPrincipal, 'NotPrincipal', where);
  }
  const actionField = v.Action !== undefined ? 'Action' : 'NotAction';
  const actions = stringList(v[actionField], actionField, where);
  const actionScope = actionScopesOf(actions, where, kind, unrecognized);
  const resourceField = v.Resource !== undefined ? 'Resource' : 'NotResource';
  const resources = stringList(v[resourceField], resourceField, where).map(s3ArnOf);
  const resourceScope = new Set(resources.flatMap((r) => resourceScopes(r, kind, where)));
  if (actionField === 'Action') st.action = actions;
  else st.notAction = actions;
  if (resourceField === 'Resource') st.resource = resources;
  else st.notResource = resources;
  // S3 refuses a bucket policy whose actions apply to none of its resources; IAM takes any
  // pairing in an identity policy (its example for ListAllMyBuckets names arn:aws:s3:::*),
  // where such a statement simply never matches.
  if (
    kind.kind === 'bucket' &&
    actionField === 'Action' &&
    resourceField === 'Resource' &&
    ![...actionScope].some((s) => resourceScope.has(s))
  ) {
    throw malformedPolicy(`Action does not apply to any resource(s) in statement (${where})`);
  }
  if (v.Condition !== undefined) {
    st.conditions = parseConditions(v.Condition, where, options.strict === true);
  }
  return st;
}

/**
 * Parses and validates a bucket policy for `bucket`. Every problem is MalformedPolicy,
 * with S3's wording where S3 has one ("Policy has invalid action", "Policy has invalid
 * resource", "Missing required field Principal" …).
 *
 * @example
 * const policy = parsePolicy(json, 'ziggie-cloud-assets');
 * policy.statements[0]?.principal; // '*'
 */
export function parsePolicy(
  json: string,
  bucket: string,
  options: ParseOptions = {},
): PolicyDocument {
  return parseDocument(json, { kind: 'bucket', bucket }, options);
}

/**
 * Parses and validates an identity policy, the IAM-style policy attached to an access key:
 * no Principal (the key is the principal), resources anywhere.
 *
 * @example
 * parseIdentityPolicy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/*"}]}');
 */
export function parseIdentityPolicy(json: string, options: ParseOptions = {}): PolicyDocument {
  return parseDocument(json, { kind: 'identity' }, options);
}

function parseDocument(json: string, kind: PolicyKind, options: ParseOptions): PolicyDocument {
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_POLICY_BYTES) {
    throw malformedPolicy(`Policies must be less than 20 KB; this one is ${bytes} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw malformedPolicy(
      `Policies must be valid JSON and the first byte must be '{': ${(err as Error).message}`,
    );
  }
  if (!isObject(doc)) {
    throw malformedPolicy(`Policies must be valid JSON and the first byte must be '{'`);
  }
  const twice = options.strict === true ? duplicateMember(json) : undefined;
  if (twice !== undefined) {
    throw malformedPolicy(
      `The policy gives "${twice}" twice in one object; only one of them would count`,
    );
  }
  for (const field of Object.keys(doc)) {
    if (!TOP_FIELDS.includes(field))
      throw malformedPolicy(`Unknown field "${field}" in the policy`);
  }
  const version = doc.Version ?? '2008-10-17';
  if (!(POLICY_VERSIONS as readonly unknown[]).includes(version)) {
    throw malformedPolicy(
      `The policy must contain a valid version string: ${JSON.stringify(version)} is not ${POLICY_VERSIONS.join(' or ')}`,
    );
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') {
    throw malformedPolicy('"Id" of the policy must be a string');
  }
  if (doc.Statement === undefined) throw malformedPolicy('Missing required field Statement');
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0)
    throw malformedPolicy('Missing required field Statement: the array is empty');
  const unrecognized: string[] = [];
  const statements = raw.map((s, i) => parseStatement(s, i, kind, unrecognized, options));
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.sid === undefined || s.sid === '') continue;
    if (sids.has(s.sid)) throw malformedPolicy(`Statement IDs (SID) must be unique: "${s.sid}"`);
    sids.add(s.sid);
  }
  const out: PolicyDocument = { version: version as PolicyDocument['version'], statements };
  if (doc.Id !== undefined) out.id = doc.Id as string;
  if (unrecognized.length > 0) out.unrecognizedActions = [...new Set(unrecognized)];
  return out;
}

/** The bucket-document validator for `?policy`. */
export function validatePolicy(json: string, ctx: { bucket: string }): void {
  parsePolicy(json, ctx.bucket, { strict: true });
}
