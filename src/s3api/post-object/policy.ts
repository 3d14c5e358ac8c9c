/**
 * The policy of a POST Object form (S3 "Creating a POST policy"): base64 of a JSON document
 * with an `expiration` and `conditions` that every form field must meet. Conditions are
 * `{"field": "value"}` or `["eq", "$field", "value"]` (exact), `["starts-with", "$field",
 * "prefix"]`, and `["content-length-range", min, max]` for the file's size. Every field
 * (except the signature, the policy, the file and `x-ignore-*` fields) must be named by a
 * condition, so a form cannot carry anything its signer did not allow.
 */
import { StowageError } from '../../errors.js';

/** What a valid policy leaves to check once the file has been read. */
export interface PolicyLimits {
  /** The file's size must lie in this range (inclusive), when the policy sets one. */
  contentLength?: { min: number; max: number };
}

type Condition =
  | { kind: 'eq' | 'starts-with'; field: string; value: string; text: string }
  | { kind: 'length'; min: number; max: number };

/** Fields a policy never has to name. */
const EXEMPT = new Set(['x-amz-signature', 'policy', 'file', 'awsaccesskeyid', 'signature']);

function malformed(message: string): StowageError {
  return new StowageError('E_INVALID_POLICY_DOCUMENT', `Invalid Policy: ${message}`);
}

function refused(message: string): StowageError {
  return new StowageError('E_ACCESS_DENIED', `Invalid according to Policy: ${message}`);
}

/** A field name in a condition: `$key` (with eq and starts-with) or `key` (object form). */
function fieldName(raw: unknown, dollar: boolean, text: string): string {
  if (typeof raw !== 'string' || (dollar && !raw.startsWith('$'))) {
    throw malformed(`the condition ${text} must name a form field as "$field"`);
  }
  return (dollar ? raw.slice(1) : raw).toLowerCase();
}

function parseCondition(c: unknown): Condition {
  const text = JSON.stringify(c);
  if (Array.isArray(c)) {
    const [op, a, b] = c as unknown[];
    const kind = typeof op === 'string' ? op.toLowerCase() : op;
    if (c.length !== 3) throw malformed(`the condition ${text} must have three elements`);
    if (kind === 'content-length-range') {
      const min = Number(a);
      const max = Number(b);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
        throw malformed(`the condition ${text} must give two whole numbers, min ≤ max`);
      }
      return { kind: 'length', min, max };
    }
    if (kind !== 'eq' && kind !== 'starts-with') {
      throw malformed(
        `unknown condition operator in ${text}: eq, starts-with or content-length-range`,
      );
    }
    if (typeof b !== 'string')
      throw malformed(`the value of the condition ${text} must be a string`);
    return { kind, field: fieldName(a, true, text), value: b, text };
  }
  if (c !== null && typeof c === 'object') {
    const entries = Object.entries(c);
    if (entries.length !== 1) throw malformed(`the condition ${text} must have one field`);
    const [name, value] = entries[0]!;
    if (typeof value !== 'string')
      throw malformed(`the value of the condition ${text} must be a string`);
    return { kind: 'eq', field: fieldName(name, false, text), value, text };
  }
  throw malformed(`the condition ${text} is neither an object nor an array`);
}

/**
 * Checks a form against its policy (`policyBase64`, the `policy` field) at time `now`:
 * InvalidPolicyDocument for a policy that cannot be read, AccessDenied ("Invalid according
 * to Policy: …") for one that has expired or that a field does not meet. `fields` holds
 * every form field by lowercased name, plus `bucket` (the bucket posted to).
 */
export function checkPostPolicy(
  policyBase64: string,
  fields: ReadonlyMap<string, string>,
  now: number,
): PolicyLimits {
  let doc: unknown;
  try {
    const json = Buffer.from(policyBase64, 'base64').toString('utf8');
    doc = JSON.parse(json);
  } catch {
    throw malformed('the policy is not base64-encoded JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw malformed('the policy must be a JSON object');
  }
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : NaN;
  if (
    typeof expiration !== 'string' ||
    !/^\d{4}-\d\d-\d\dT/.test(expiration) ||
    Number.isNaN(expires)
  ) {
    throw malformed('the policy needs an "expiration" date in ISO 8601 (2026-12-31T12:00:00.000Z)');
  }
  if (!Array.isArray(conditions)) throw malformed('the policy needs a "conditions" array');
  if (expires < now) throw refused('Policy expired.');
  const parsed = conditions.map(parseCondition);
  const limits: PolicyLimits = {};
  const named = new Set<string>();
  for (const c of parsed) {
    if (c.kind === 'length') {
      limits.contentLength = { min: c.min, max: c.max };
      continue;
    }
    named.add(c.field);
    const value = fields.get(c.field) ?? '';
    const holds = c.kind === 'eq' ? value === c.value : startsWith(c.field, value, c.value);
    if (!holds) throw refused(`Policy Condition failed: ${c.text}`);
  }
  const extra = [...fields.keys()].filter(
    (f) => !named.has(f) && !EXEMPT.has(f) && !f.startsWith('x-ignore-') && f !== 'bucket',
  );
  if (extra.length > 0) throw refused(`Extra input fields: ${extra.join(', ')}`);
  return limits;
}

/**
 * A starts-with condition. A Content-Type is a comma-separated list whose every entry must
 * meet it (AWS's POST policy: `image/jpg,text/plain` does not pass `image/`), or a form
 * signed for images only could store `image/png,text/html`.
 */
function startsWith(field: string, value: string, prefix: string): boolean {
  if (field !== 'content-type') return value.startsWith(prefix);
  return value.split(',').every((entry) => entry.trim().startsWith(prefix));
}
