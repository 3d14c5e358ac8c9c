/**
 * Policy evaluation for requests within this server's single account, as AWS does it for
 * same-account access: an explicit Deny in any policy wins; otherwise the request is
 * allowed if an identity policy or the bucket policy allows it; otherwise it is
 * implicitly denied.
 */
import { globMatcher, type Matcher } from './glob-match.js';
import type { PolicyDocument, PolicyPrincipal, PolicyStatement } from '../documents/policy.js';
import { OWNER_ID } from '../acl/grants.js';
import { STOWAGE_ACCOUNT_ID } from '../identity.js';
import {
  conditionsHold,
  policyPattern,
  type ConditionKeys,
  type ConditionScope,
} from './conditions.js';
import type { Caller } from './request-context.js';
import type { RequestedAccess } from './requested-accesses.js';

/** The outcome of evaluating policies for one action on one resource. */
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** What evaluate judges. */
export interface EvaluateInput {
  caller: Caller;
  access: RequestedAccess;
  keys: ConditionKeys;
  /** The caller's identity policies (none for anonymous callers). */
  identityPolicies?: readonly PolicyDocument[];
  /** The policy of the bucket the access is about, if it has one. */
  bucketPolicy?: PolicyDocument;
  /**
   * Condition keys not known yet (see ConditionScope.unknown): tests on them are taken to
   * hold in an Allow and to fail in a Deny, so the answer is the most the request could get.
   */
  unknown?: (key: string) => boolean;
}

const ACTION_CACHE = new Map<string, Matcher>();

function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  let re = ACTION_CACHE.get(pattern);
  if (!re) {
    re = globMatcher(pattern);
    if (ACTION_CACHE.size > 4096) ACTION_CACHE.clear();
    ACTION_CACHE.set(pattern, re);
  }
  return re.test(action);
}

/** Whether a Deny on `pattern` could hit some key of the bucket (DeleteObjects). */
function mayMatchSomeKey(pattern: string, bucket: string, scope: ConditionScope): boolean {
  const keyPrefix = `arn:aws:s3:::${bucket}/`;
  const wild = pattern.search(/[*?]|\$\{/);
  const literal = wild < 0 ? pattern : pattern.slice(0, wild);
  if (literal.startsWith(keyPrefix)) return true;
  if (wild >= 0 && keyPrefix.startsWith(literal)) {
    // The wildcard may span the rest of the bucket name and the slash: check it can.
    const re = policyPattern(pattern, scope, { glob: true });
    return re === undefined ? false : re.test(`${keyPrefix}${'x'}`) || pattern.endsWith('*');
  }
  return false;
}

function resourceMatches(
  pattern: string,
  access: RequestedAccess,
  effect: PolicyStatement['effect'],
  scope: ConditionScope,
): boolean {
  if (access.resource === '*') return pattern === '*' || pattern === 'arn:aws:s3:::*';
  if (pattern === '*') return true;
  if (access.anyKey && effect === 'Deny')
    return mayMatchSomeKey(pattern, access.bucket ?? '', scope);
  // ARNs are case-sensitive; for DeleteObjects an Allow must cover `bucket/*` itself.
  return policyPattern(pattern, scope, { glob: true })?.test(access.resource) ?? false;
}

/**
 * Whether a Principal element names the caller: `*` and `{"AWS":"*"}` name everyone,
 * including anonymous callers; a user ARN names that key. The account
 * (`000000000000`, `arn:aws:iam::000000000000:root`) names every key of this server when it
 * denies, but in an Allow, and as a NotPrincipal exception, only the root key: as in IAM, an
 * account principal delegates to the account, whose other users still need an identity
 * policy that allows, and are exempt from a NotPrincipal Deny only when named themselves. The
 * owner's canonical user id is the account too. Service and federated principals, and
 * other canonical ids, never name a direct request.
 */
export function principalMatches(
  p: PolicyPrincipal,
  caller: Caller,
  grant: 'allow' | 'deny' = 'deny',
): boolean {
  if (p === '*') return true;
  const aws = p.AWS ?? [];
  if (aws.includes('*')) return true;
  if (caller.kind === 'anonymous') return false;
  const id = caller.identity;
  if (aws.some((a) => a === id.arn || a === id.accessKeyId)) return true;
  // The account, by id, root ARN or the owner's canonical user id (S3 guide, "Principal":
  // the canonical id identifies the same account).
  const account =
    aws.some((a) => a === STOWAGE_ACCOUNT_ID || a === `arn:aws:iam::${STOWAGE_ACCOUNT_ID}:root`) ||
    (p.CanonicalUser ?? []).includes(OWNER_ID);
  return account && (grant === 'deny' || id.root);
}

/** Whether a statement's Principal and Action elements (and their Not… forms) cover these. */
function namesCallerAndAction(st: PolicyStatement, caller: Caller, action: string): boolean {
  if (
    st.principal &&
    !principalMatches(st.principal, caller, st.effect === 'Allow' ? 'allow' : 'deny')
  )
    return false;
  // The exceptions of NotPrincipal are exact: the account names only the root key (AWS's
  // "deny everyone but Bob" lists Bob and his account, and still denies Alice).
  if (st.notPrincipal && principalMatches(st.notPrincipal, caller, 'allow')) return false;
  if (st.action && !st.action.some((a) => actionMatches(a, action))) return false;
  if (st.notAction && st.notAction.some((a) => actionMatches(a, action))) return false;
  return true;
}

/** Whether a statement applies to this access (principal, action, resource, conditions). */
export function statementApplies(
  st: PolicyStatement,
  input: Pick<EvaluateInput, 'caller' | 'access'>,
  scope: ConditionScope,
): boolean {
  const { caller, access } = input;
  if (!namesCallerAndAction(st, caller, access.action)) return false;
  if (st.resource && !st.resource.some((r) => resourceMatches(r, access, st.effect, scope)))
    return false;
  if (st.notResource && st.notResource.some((r) => resourceMatches(r, access, 'Allow', scope)))
    return false;
  return conditionsHold(st.conditions, scope);
}

/**
 * Whether some Allow statement of `doc` could let `caller` do one of `actions`, whatever the
 * resource and the conditions: an over-approximation, for refusing before its body is read
 * a request that no statement could allow (an anonymous DeleteObjects).
 */
export function mayAllowSome(
  doc: PolicyDocument | undefined,
  caller: Caller,
  actions: readonly string[],
): boolean {
  return (doc?.statements ?? []).some(
    (st) =>
      st.effect === 'Allow' && actions.some((action) => namesCallerAndAction(st, caller, action)),
  );
}

/**
 * Evaluates identity policies and the bucket policy for one access.
 *
 * @example
 * evaluate({ caller, access, keys, identityPolicies: identity.policies, bucketPolicy }); // 'Allow'
 */
export function evaluate(input: EvaluateInput): Decision {
  const docs = [
    ...(input.identityPolicies ?? []),
    ...(input.bucketPolicy ? [input.bucketPolicy] : []),
  ];
  let allowed = false;
  for (const doc of docs) {
    const scope: ConditionScope = { keys: input.keys, variables: doc.version === '2012-10-17' };
    if (input.unknown) scope.unknown = input.unknown;
    for (const st of doc.statements) {
      const stScope = input.unknown ? { ...scope, assume: st.effect === 'Allow' } : scope;
      if (!statementApplies(st, input, stScope)) continue;
      if (st.effect === 'Deny') return 'ExplicitDeny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
