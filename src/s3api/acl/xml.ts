/**
 * The `AccessControlPolicy` document of Get/Put Bucket/Object ACL. Grantees carry their
 * type in an `xsi:type` attribute, which is how aws-cli, boto3 and the SDKs tell a
 * CanonicalUser from a Group, so this document is written by hand rather than with the
 * attribute-less XML builder.
 */
import { XMLParser } from 'fast-xml-parser';
import { StowageError } from '../../errors.js';
import { escapeXml, S3_XMLNS } from '../xml/build.js';
import { parseXml } from '../xml/parse.js';
import { GROUPS, OWNER, OWNER_ID, PERMISSIONS, type Grant, type Permission } from './grants.js';

/** S3's limit on grants in one ACL. */
export const MAX_GRANTS = 100;

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

function granteeXml(g: Grant): string {
  if (g.grantee.type === 'Group') {
    return `<Grantee xmlns:xsi="${XSI}" xsi:type="Group"><URI>${escapeXml(g.grantee.uri)}</URI></Grantee>`;
  }
  const name = g.grantee.id === OWNER_ID ? `<DisplayName>${OWNER.displayName}</DisplayName>` : '';
  return `<Grantee xmlns:xsi="${XSI}" xsi:type="CanonicalUser"><ID>${escapeXml(g.grantee.id)}</ID>${name}</Grantee>`;
}

/**
 * Serialises an ACL as S3 returns it from GetBucketAcl / GetObjectAcl.
 *
 * @example
 * buildAccessControlPolicy(cannedGrants('public-read'));
 */
export function buildAccessControlPolicy(grants: readonly Grant[]): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="${S3_XMLNS}">` +
    `<Owner><ID>${OWNER.id}</ID><DisplayName>${OWNER.displayName}</DisplayName></Owner>` +
    '<AccessControlList>' +
    grants
      .map((g) => `<Grant>${granteeXml(g)}<Permission>${g.permission}</Permission></Grant>`)
      .join('') +
    '</AccessControlList></AccessControlPolicy>'
  );
}

const attrParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  isArray: (name) => name === 'Grant',
});

type Node = Record<string, unknown>;

function malformedAcl(message: string): StowageError {
  return new StowageError('E_MALFORMED_ACL', message);
}

function text(node: Node, tag: string): string | undefined {
  const v = node[tag];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && '#text' in v) return String((v as Node)['#text']);
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) return '';
  throw malformedAcl(`<${tag}> must contain text`);
}

/** Checks that a canonical user id is this server's owner (the only account there is). */
export function checkOwnerId(id: string, where: string): void {
  if (id !== OWNER_ID) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${where} "${id}" is not a canonical user of this server; its one account is ${OWNER_ID}`,
      { details: { argumentName: where } },
    );
  }
}

/** Checks that a group URI is one of S3's predefined groups. */
export function checkGroupUri(uri: string, where: string): void {
  if (!(Object.values(GROUPS) as string[]).includes(uri)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `${where} "${uri}" is not a predefined group; expected one of ${Object.values(GROUPS).join(', ')}`,
      { details: { argumentName: where } },
    );
  }
}

function parseGrant(raw: unknown, n: number): Grant {
  if (typeof raw !== 'object' || raw === null) throw malformedAcl(`<Grant> ${n} is empty`);
  const grant = raw as Node;
  const permission = text(grant, 'Permission');
  if (permission === undefined) throw malformedAcl(`<Grant> ${n} has no <Permission>`);
  if (!(PERMISSIONS as readonly string[]).includes(permission)) {
    throw malformedAcl(
      `<Permission> "${permission}" of grant ${n} is not one of ${PERMISSIONS.join(', ')}`,
    );
  }
  const grantee = grant.Grantee;
  if (typeof grantee !== 'object' || grantee === null)
    throw malformedAcl(`<Grant> ${n} has no <Grantee>`);
  const g = grantee as Node;
  const declared = typeof g['@_type'] === 'string' ? g['@_type'] : undefined;
  const id = text(g, 'ID');
  const uri = text(g, 'URI');
  const email = text(g, 'EmailAddress');
  const type =
    declared ??
    (id !== undefined
      ? 'CanonicalUser'
      : uri !== undefined
        ? 'Group'
        : email !== undefined
          ? 'AmazonCustomerByEmail'
          : undefined);
  const p = permission as Permission;
  switch (type) {
    case 'CanonicalUser':
      if (id === undefined)
        throw malformedAcl(`the CanonicalUser grantee of grant ${n} has no <ID>`);
      checkOwnerId(id, 'grantee ID');
      return { grantee: { type: 'CanonicalUser', id }, permission: p };
    case 'Group':
      if (uri === undefined) throw malformedAcl(`the Group grantee of grant ${n} has no <URI>`);
      checkGroupUri(uri, 'grantee URI');
      return { grantee: { type: 'Group', uri }, permission: p };
    case 'AmazonCustomerByEmail':
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        'grants to an e-mail address are not supported; grant to the owner ID or a group URI',
      );
    default:
      throw malformedAcl(
        `the grantee of grant ${n} has ${type ? `unknown xsi:type "${type}"` : 'no type, <ID> or <URI>'}`,
      );
  }
}

/**
 * Parses a PutBucketAcl / PutObjectAcl body. Not well-formed XML is MalformedXML; a
 * document that is not a valid ACL is MalformedACLError; grantees this server cannot
 * represent are InvalidArgument (an unknown owner or group) or NotImplemented (e-mail).
 */
export function parseAccessControlPolicy(
  body: Buffer | string,
  options: { requireOwner?: boolean } = {},
): Grant[] {
  parseXml(body, 'AccessControlPolicy');
  const doc = attrParser.parse(typeof body === 'string' ? body : body.toString('utf8')) as Node;
  const top = doc.AccessControlPolicy;
  const policy: Node = typeof top === 'object' && top !== null ? (top as Node) : {};
  const ownerNode = policy.Owner;
  // S3 refuses a PutBucketAcl / PutObjectAcl body without an <Owner> (MalformedACLError);
  // ACLs stored by earlier versions are still read without one.
  if (options.requireOwner === true && ownerNode === undefined)
    throw malformedAcl('the AccessControlPolicy has no <Owner>');
  const ownerId =
    typeof ownerNode === 'object' && ownerNode !== null ? text(ownerNode as Node, 'ID') : undefined;
  // Another owner is a giveaway, which S3 refuses as AccessDenied (s3-tests'
  // test_object_giveaway); an unknown grantee below is InvalidArgument.
  if (ownerId !== undefined && ownerId !== OWNER_ID) {
    throw new StowageError(
      'E_ACCESS_DENIED',
      `the ACL's Owner ID "${ownerId}" is not the owner's: an ACL cannot give the bucket or object away (its owner is ${OWNER_ID})`,
    );
  }
  const list = policy.AccessControlList;
  if (list === undefined) throw malformedAcl('the AccessControlPolicy has no <AccessControlList>');
  if (Array.isArray(list)) {
    throw malformedAcl('the AccessControlPolicy has more than one <AccessControlList>');
  }
  if (typeof list === 'string' && list.trim() !== '') {
    throw malformedAcl('the <AccessControlList> holds text where <Grant> elements belong');
  }
  // An <Owner> with no <ID> (`<Owner/>`) names nobody: as malformed as no <Owner> at all.
  if (options.requireOwner === true && !ownerId)
    throw malformedAcl('the <Owner> of the AccessControlPolicy has no <ID>');
  const grants =
    typeof list === 'object' && list !== null ? (((list as Node).Grant as unknown[]) ?? []) : [];
  if (grants.length > MAX_GRANTS)
    throw malformedAcl(`an ACL can have at most ${MAX_GRANTS} grants, got ${grants.length}`);
  return grants.map((g, i) => parseGrant(g, i + 1));
}
