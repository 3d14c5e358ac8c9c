/**
 * The condition operators of the IAM policy language, evaluated against a request's
 * condition keys. Semantics follow IAM: all tests of a statement must hold; a positive
 * operator on a missing key is false and a negated one true (unless `…IfExists`, which
 * makes any test on a missing key true); `ForAllValues:` holds for an empty or missing
 * key, `ForAnyValue:` does not.
 */
import {
  parseDate,
  parseNumber,
  type ConditionOperator,
  type PolicyCondition,
} from '../documents/policy-conditions.js';
import { addressSet, inAddressSet } from '../ip-addresses.js';
import { GlobBuilder, type Matcher } from './glob-match.js';

/** A request's condition keys: lower-cased key name → values (multi-valued keys hold several). */
export type ConditionKeys = ReadonlyMap<string, readonly string[]>;

/** What conditions are judged against. */
export interface ConditionScope {
  keys: ConditionKeys;
  /** Policy variables (`${aws:username}`) are substituted; false for `2008-10-17` policies. */
  variables: boolean;
  /**
   * Keys whose values are not known yet (a tag set still in the body): a test on one is
   * taken to hold as `assume` says. Judging a request before its body with `assume`
   * true for Allow and false for Deny statements tells whether it could be allowed at all.
   */
  unknown?: (key: string) => boolean;
  assume?: boolean;
}

/** Each negated operator and the positive test it negates. */
const NEGATED: Partial<Record<ConditionOperator, ConditionOperator>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

/** A policy variable's name, and its default value (`${aws:username, 'nobody'}`), if any. */
function variableOf(inside: string): { name: string; fallback?: string } {
  const m = /^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$/.exec(inside);
  return m ? { name: m[1] as string, fallback: m[2] as string } : { name: inside.trim() };
}

/**
 * Compiles a policy pattern: `*`/`?` are wildcards when `glob`, policy variables
 * (`${aws:username}`, and the escapes `${*}`, `${?}`, `${$}`) are substituted when the
 * scope allows them. A variable with no value takes its default (`${aws:username, 'x'}`);
 * without one it makes the pattern undefined: a test on it matches nothing, as in IAM.
 *
 * @example
 * policyPattern('home/${aws:username}/*', { keys, variables: true }, { glob: true });
 */
export function policyPattern(
  pattern: string,
  scope: ConditionScope,
  options: { glob: boolean; ignoreCase?: boolean },
): Matcher | undefined {
  const b = new GlobBuilder(options.ignoreCase === true);
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (scope.variables && ch === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end > 0) {
        const { name, fallback } = variableOf(pattern.slice(i + 2, end));
        if (name === '*' || name === '?' || name === '$') b.literal(name);
        else {
          const value = scope.keys.get(name.toLowerCase())?.[0] ?? fallback;
          if (value === undefined) return undefined;
          b.literal(value);
        }
        i = end + 1;
        continue;
      }
    }
    if (options.glob && ch === '*') b.star();
    else if (options.glob && ch === '?') b.one();
    else b.literal(ch);
    i += 1;
  }
  return b.build();
}

function matchesPattern(
  value: string,
  pattern: string,
  scope: ConditionScope,
  options: { glob: boolean; ignoreCase?: boolean },
): boolean {
  return policyPattern(pattern, scope, options)?.test(value) ?? false;
}

function compareNumbers(a: number, b: number, op: string): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (op.endsWith('LessThanEquals')) return a <= b;
  if (op.endsWith('LessThan')) return a < b;
  if (op.endsWith('GreaterThanEquals')) return a >= b;
  if (op.endsWith('GreaterThan')) return a > b;
  return a === b;
}

/** Whether `ip` lies in `cidr` (IPv4 or IPv6; a bare address is a /32 or /128). */
export function ipInCidr(ip: string, cidr: string): boolean {
  return inAddressSet(addressSet([cidr]), ip);
}

/** The positive test of `op` between one request value and one policy value. */
function test(
  op: ConditionOperator,
  actual: string,
  expected: string,
  scope: ConditionScope,
): boolean {
  switch (op) {
    case 'StringEquals':
      return matchesPattern(actual, expected, scope, { glob: false });
    case 'StringEqualsIgnoreCase':
      return matchesPattern(actual, expected, scope, { glob: false, ignoreCase: true });
    case 'StringLike':
    case 'ArnEquals':
    case 'ArnLike':
      // ArnEquals and ArnLike behave the same in IAM: both take wildcards, case-sensitive.
      return matchesPattern(actual, expected, scope, { glob: true });
    case 'NumericEquals':
    case 'NumericLessThan':
    case 'NumericLessThanEquals':
    case 'NumericGreaterThan':
    case 'NumericGreaterThanEquals':
      return compareNumbers(parseNumber(actual), parseNumber(expected), op);
    case 'DateEquals':
    case 'DateLessThan':
    case 'DateLessThanEquals':
    case 'DateGreaterThan':
    case 'DateGreaterThanEquals':
      return compareNumbers(parseDate(actual), parseDate(expected), op);
    case 'Bool':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'BinaryEquals':
      return actual === expected;
    case 'IpAddress':
      return ipInCidr(actual, expected);
    default:
      return false;
  }
}

/**
 * Whether one condition test holds for the request.
 *
 * @example
 * conditionHolds({ operator: 'Bool', ifExists: false, key: 'aws:SecureTransport', values: ['false'] }, scope);
 */
export function conditionHolds(cond: PolicyCondition, scope: ConditionScope): boolean {
  if (scope.unknown?.(cond.key.toLowerCase())) return scope.assume ?? false;
  const actual = scope.keys.get(cond.key.toLowerCase());
  const present = actual !== undefined && actual.length > 0;
  if (cond.operator === 'Null') {
    // Values are OR'ed as for every operator: ["true", "false"] always holds.
    const wants = present ? 'false' : 'true';
    return cond.values.some((v) => v.toLowerCase() === wants);
  }
  const positive = NEGATED[cond.operator];
  const base = positive ?? cond.operator;
  const one = (v: string): boolean => {
    const hit = cond.values.some((e) => test(base, v, e, scope));
    return positive ? !hit : hit;
  };
  if (!present) {
    if (cond.ifExists) return true;
    if (cond.qualifier === 'ForAllValues') return true;
    if (cond.qualifier === 'ForAnyValue') return false;
    return positive !== undefined;
  }
  if (cond.qualifier === 'ForAllValues') return actual.every(one);
  if (cond.qualifier === 'ForAnyValue') return actual.some(one);
  // A single-valued test of a key with several values: positive if any value matches,
  // negated only if none does.
  return positive ? actual.every(one) : actual.some(one);
}

/** Whether every condition of a statement holds. */
export function conditionsHold(conds: readonly PolicyCondition[], scope: ConditionScope): boolean {
  return conds.every((c) => conditionHolds(c, scope));
}
