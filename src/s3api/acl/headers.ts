/**
 * ACLs sent as request headers: `x-amz-acl` (a canned ACL) or the `x-amz-grant-*`
 * headers, whose values are comma-separated grantees such as
 * `uri="http://acs.amazonaws.com/groups/global/AllUsers", id="<canonical id>"`.
 */
import { StowageError } from '../../errors.js';
import {
  parseCannedAcl,
  type AclTarget,
  type CannedAcl,
  type Grant,
  type Permission,
} from './grants.js';
import { checkGroupUri, checkOwnerId } from './xml.js';

/** The grant headers and the permission each gives. */
export const GRANT_HEADERS: ReadonlyArray<[string, Permission]> = [
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
];

/** An ACL a request carries in its headers. */
export type HeaderAcl = { canned: CannedAcl } | { grants: Grant[] };

/** Splits a grant header value on commas outside quotes. */
function splitGrantees(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** Parses one `x-amz-grant-*` header value into grants of `permission`. */
export function parseGrantHeader(name: string, value: string, permission: Permission): Grant[] {
  const grantees = splitGrantees(value);
  if (grantees.length === 0) {
    throw new StowageError('E_INVALID_ARGUMENT', `${name} is empty`, {
      details: { argumentName: name },
    });
  }
  return grantees.map((item) => {
    const m = /^([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^\s"]+))$/.exec(item);
    if (!m) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `${name}: "${item}" is not of the form id="…" or uri="…"`,
        { details: { argumentName: name } },
      );
    }
    const type = m[1]!.toLowerCase();
    const v = m[2] ?? m[3]!;
    if (type === 'id') {
      checkOwnerId(v, `${name} id`);
      return { grantee: { type: 'CanonicalUser', id: v }, permission };
    }
    if (type === 'uri') {
      checkGroupUri(v, `${name} uri`);
      return { grantee: { type: 'Group', uri: v }, permission };
    }
    if (type === 'emailaddress') {
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        `${name}: grants to an e-mail address are not supported; use id="…" or uri="…"`,
      );
    }
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${name}: unknown grantee type "${m[1]}"; expected id, uri or emailAddress`,
      { details: { argumentName: name } },
    );
  });
}

/**
 * The ACL in a request's headers, or undefined if it has none. Both a canned ACL and
 * grant headers is InvalidRequest, as in S3.
 */
export function aclFromHeaders(
  get: (name: string) => string | undefined,
  target: AclTarget,
): HeaderAcl | undefined {
  const canned = get('x-amz-acl');
  const grants: Grant[] = [];
  let anyGrant = false;
  for (const [name, permission] of GRANT_HEADERS) {
    const v = get(name);
    if (v === undefined) continue;
    anyGrant = true;
    grants.push(...parseGrantHeader(name, v, permission));
  }
  if (canned !== undefined && anyGrant) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'specifying both a canned ACL (x-amz-acl) and x-amz-grant-* headers is not allowed',
    );
  }
  if (canned !== undefined) return { canned: parseCannedAcl(canned.trim(), target) };
  return anyGrant ? { grants } : undefined;
}
