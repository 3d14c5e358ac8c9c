/**
 * The `Condition` block of a policy statement: `{ "<operator>": { "<key>": value(s) } }`.
 * Operators come from the IAM policy language; each may take an `IfExists` suffix (not
 * `Null`) and a `ForAllValues:`/`ForAnyValue:` set qualifier.
 */
import { StowageError } from '../../errors.js';

/** The IAM condition operators. */
export const CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
] as const;

/** An IAM condition operator, without qualifier or `IfExists`. */
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** One key test of a statement's conditions; all of a statement's tests must hold. */
export interface PolicyCondition {
  operator: ConditionOperator;
  /** The test passes when the key is absent (`…IfExists`). */
  ifExists: boolean;
  /** How a multi-valued key is compared (`ForAllValues:` / `ForAnyValue:`). */
  qualifier?: 'ForAllValues' | 'ForAnyValue';
  /** The condition key as written (keys are case-insensitive). */
  key: string;
  /** The values, as strings (JSON numbers and booleans are compared as text). */
  values: string[];
}

const BY_LOWER = new Map(CONDITION_OPERATORS.map((o) => [o.toLowerCase(), o]));

function malformedPolicy(message: string): StowageError {
  return new StowageError('E_MALFORMED_POLICY', message);
}

function parseOperator(
  raw: string,
  where: string,
): Pick<PolicyCondition, 'operator' | 'ifExists' | 'qualifier'> {
  let name = raw;
  let qualifier: PolicyCondition['qualifier'];
  const q = /^(ForAllValues|ForAnyValue):(.+)$/i.exec(name);
  if (q) {
    qualifier = q[1]?.toLowerCase() === 'forallvalues' ? 'ForAllValues' : 'ForAnyValue';
    name = q[2] as string;
  }
  let ifExists = false;
  if (/IfExists$/i.test(name) && name.toLowerCase() !== 'ifexists') {
    ifExists = true;
    name = name.slice(0, -'IfExists'.length);
  }
  const operator = BY_LOWER.get(name.toLowerCase());
  if (!operator || (operator === 'Null' && ifExists)) {
    throw malformedPolicy(`Policy has an invalid condition operator: "${raw}" (${where})`);
  }
  return qualifier ? { operator, ifExists, qualifier } : { operator, ifExists };
}

function conditionValues(v: unknown, op: string, key: string, where: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  const scalar = (x: unknown): x is string | number | boolean =>
    typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
  if (list.length === 0 || !list.every(scalar)) {
    throw malformedPolicy(
      `the value of condition key "${key}" under "${op}" (${where}) must be a string, number, boolean or a non-empty array of them`,
    );
  }
  return list.map(String);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a statement's `Condition`; `where` names the statement in messages. */
export function parseConditions(v: unknown, where: string): PolicyCondition[] {
  if (!isObject(v)) throw malformedPolicy(`"Condition" in ${where} must be a JSON object`);
  const out: PolicyCondition[] = [];
  for (const [op, tests] of Object.entries(v)) {
    const parsed = parseOperator(op, where);
    if (!isObject(tests) || Object.keys(tests).length === 0) {
      throw malformedPolicy(`condition "${op}" in ${where} must map condition keys to values`);
    }
    for (const [key, value] of Object.entries(tests)) {
      if (key.trim() === '')
        throw malformedPolicy(`an empty condition key under "${op}" in ${where}`);
      out.push({ ...parsed, key, values: conditionValues(value, op, key, where) });
    }
  }
  return out;
}
