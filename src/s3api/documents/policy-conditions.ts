/**
 * The `Condition` block of a policy statement: `{ "<operator>": { "<key>": value(s) } }`.
 * Operators come from the IAM policy language; each may take an `IfExists` suffix (not
 * `Null`) and a `ForAllValues:`/`ForAnyValue:` set qualifier.
 */
import { StowageError } from '../../errors.js';
import { parseCidr } from '../ip-addresses.js';

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

/**
 * A date as epoch milliseconds, NaN when none: epoch seconds, or ISO 8601 in the W3C
 * profile IAM names (`2027`, `2027-01`, `2027-01-31`, `2027-01-31T10:00Z`,
 * `2027-01-31T10:00:00.5+01:00`). A bare four-digit number is a year (epoch second 2030
 * is a moment of 1970, which no policy means). A time without a zone is UTC, not the
 * server's local time.
 */
export function parseDate(text: string): number {
  const t = text.trim();
  if (/^\d{4}$/.test(t)) return Date.UTC(Number(t), 0, 1);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const m =
    /^(\d{4})-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(
      t,
    );
  if (!m) return Number.NaN;
  const [, year, month, day = '01', time = 'T00:00', zone = 'Z'] = m;
  // Date.parse rolls 2027-02-30 over to March: a day that does not exist is no date.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) {
    return Number.NaN;
  }
  return Date.parse(`${year}-${month}-${day}${time}${zone.toUpperCase()}`);
}

/**
 * A decimal number (sign, fraction and exponent allowed: `-5`, `+5`, `.5`, `1e-7`); NaN for
 * anything else (`Number('')` would be 0, `Number('0x10')` 16).
 */
export function parseNumber(text: string): number {
  const t = text.trim();
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

/**
 * Why a value can never be compared under `operator` (it does not parse as that operator's
 * type), or undefined when it can. String and ARN operators take any value.
 */
function unusableValue(operator: ConditionOperator, value: string): string | undefined {
  if (operator.startsWith('Numeric')) {
    return Number.isNaN(parseNumber(value)) ? 'is not a number' : undefined;
  }
  if (operator.startsWith('Date')) {
    return Number.isNaN(parseDate(value))
      ? 'is not a date (ISO 8601, e.g. 2026-12-31T00:00:00Z, or epoch seconds)'
      : undefined;
  }
  if (operator === 'IpAddress' || operator === 'NotIpAddress') {
    return parseCidr(value) ? undefined : 'is not an IP address or CIDR block (e.g. 192.0.2.0/24)';
  }
  if (operator === 'Bool' || operator === 'Null') {
    return /^(true|false)$/i.test(value.trim()) ? undefined : 'is not true or false';
  }
  return undefined;
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

/**
 * Parses a statement's `Condition`; `where` names the statement in messages. With
 * `strict` (a policy being put, not one read back), a value its operator can never
 * compare (`IpAddress` "localhost", `DateGreaterThan` "yesterday", `Bool` "no") is
 * MalformedPolicy: such a test matches nothing, so a Deny holding it would deny nothing.
 */
export function parseConditions(v: unknown, where: string, strict = false): PolicyCondition[] {
  if (!isObject(v)) throw malformedPolicy(`"Condition" in ${where} must be a JSON object`);
  const out: PolicyCondition[] = [];
  for (const [op, tests] of Object.entries(v)) {
    const parsed = parseOperator(op, where);
    if (!isObject(tests) || Object.keys(tests).length === 0) {
      throw malformedPolicy(`condition "${op}" in ${where} must map condition keys to values`);
    }
    const seen = new Set<string>();
    for (const [key, value] of Object.entries(tests)) {
      if (key.trim() === '')
        throw malformedPolicy(`an empty condition key under "${op}" in ${where}`);
      // Condition keys are case-insensitive: two spellings of one key would both apply.
      if (strict && seen.has(key.toLowerCase())) {
        throw malformedPolicy(
          `the condition key "${key}" is given twice under "${op}" in ${where} (condition keys are case-insensitive)`,
        );
      }
      seen.add(key.toLowerCase());
      const values = conditionValues(value, op, key, where);
      for (const one of strict ? values : []) {
        const problem = unusableValue(parsed.operator, one);
        if (problem) {
          throw malformedPolicy(
            `Invalid Condition value: "${one}" under "${op}" for "${key}" (${where}) ${problem}`,
          );
        }
      }
      out.push({ ...parsed, key, values });
    }
  }
  return out;
}
