/**
 * Bucket sub-resource documents (policy, CORS, lifecycle, encryption …): stored by the
 * engine and returned with every value as sent, but for the IDs S3 gives lifecycle and
 * replication rules sent without one; XML documents come back as S3 writes them, without
 * layout white space and in S3's namespace (xml/compact.ts). Inventory,
 * Intelligent-Tiering, metrics and analytics configurations are several per bucket,
 * addressed by `?id=`.
 */
import { isStowageError, StowageError } from '../../errors.js';
import { bucketOf, param, type S3Request } from '../context.js';
import { readSmallBody, requireBodyChecksum } from '../small-body.js';
import { validateBucketDocument } from '../documents/index.js';
import {
  parsePublicAccessBlock,
  type PublicAccessBlock,
} from '../documents/public-access-block.js';
import { refusePublicPolicy } from '../policy/block-public-policy.js';
import { bucketAclOf } from '../acl/index.js';
import { ownershipOfDocument, refuseEnforcedOverAcl } from '../acl/ownership.js';
import { BUCKET_DOCUMENTS } from '../router.js';
import { sendEmpty } from '../respond.js';
import {
  answerMinimumSize,
  answerStoredMinimumSize,
  MINIMUM_SIZE_ROWS,
  minimumSizeRow,
  requestedMinimumSize,
} from './lifecycle-min-size.js';
import { escapeXml, S3_XMLNS } from '../xml/build.js';
import { compactDocument } from '../xml/compact.js';
import { withNotificationIds, withRuleIds } from '../documents/rule-ids.js';
import { normalizeFilterRuleNames } from '../documents/notification.js';
import { parseBucketTagging } from '../documents/tagging.js';
import { decodeUtf8 } from '../xml/well-formed.js';

/** The documents whose rules S3 names when they come without an ID, by root element. */
const NAMED_RULES: Partial<Record<keyof typeof BUCKET_DOCUMENTS, string>> = {
  lifecycle: 'LifecycleConfiguration',
  replication: 'ReplicationConfiguration',
};

const LISTABLE: Partial<Record<keyof typeof BUCKET_DOCUMENTS, { list: string; item: string }>> = {
  inventory: { list: 'ListInventoryConfigurationsResult', item: 'InventoryConfiguration' },
  'intelligent-tiering': {
    list: 'ListBucketIntelligentTieringConfigurationsOutput',
    item: 'IntelligentTieringConfiguration',
  },
  metrics: { list: 'ListMetricsConfigurationsResult', item: 'MetricsConfiguration' },
  analytics: {
    list: 'ListBucketAnalyticsConfigurationResult',
    item: 'AnalyticsConfiguration',
  },
};

function subresourceOf(r: S3Request): keyof typeof BUCKET_DOCUMENTS {
  const s = r.route.subresource;
  if (!s) throw new StowageError('E_INVALID_REQUEST', 'no bucket sub-resource in the request');
  return s;
}

/**
 * The `?id=` of a listable kind (required); other kinds are one per bucket, and an `id`
 * beside them is ignored, as S3 ignores it: it must not address a second, hidden document.
 */
function documentId(r: S3Request, sub: keyof typeof BUCKET_DOCUMENTS, method: string): string {
  if (!LISTABLE[sub]) return '';
  const id = param(r, 'id') ?? '';
  if (id === '')
    throw new StowageError('E_INVALID_ARGUMENT', `${method} ?${sub} needs an id parameter`);
  return id;
}

/**
 * The documents S3 takes only with an integrity check of the body: a Content-MD5 or an
 * x-amz-checksum-* (header or trailer). Without either S3 answers 400 InvalidRequest.
 */
const CHECKSUM_REQUIRED: ReadonlySet<keyof typeof BUCKET_DOCUMENTS> = new Set([
  'tagging',
  'cors',
  'lifecycle',
  'replication',
]);

/** PUT ?<sub-resource>. */
export async function putBucketDocument(r: S3Request): Promise<void> {
  const sub = subresourceOf(r);
  const id = documentId(r, sub, 'PUT');
  const bucket = bucketOf(r);
  const bytes = await readSmallBody(r, 1024 * 1024);
  const text =
    sub === 'policy'
      ? decodeUtf8(bytes, new StowageError('E_MALFORMED_POLICY', 'the policy is not valid UTF-8'))
      : decodeUtf8(bytes);
  // NoSuchBucket comes before any complaint about the document, as in S3.
  r.engine.headBucket(bucket);
  if (CHECKSUM_REQUIRED.has(sub)) requireBodyChecksum(r);
  validateBucketDocument(sub, text, { bucket, id, engine: r.engine });
  const minimumSize = sub === 'lifecycle' ? requestedMinimumSize(r) : undefined;
  if (sub === 'policy') refusePublicPolicy(r.engine, bucket, text);
  if (sub === 'ownershipControls' && ownershipOfDocument(text) === 'BucketOwnerEnforced') {
    refuseEnforcedOverAcl(bucket, bucketAclOf(r.engine, bucket));
  }
  // S3 treats an empty bucket tag set as no tags at all: GetBucketTagging then answers
  // NoSuchTagSet, as after DeleteBucketTagging.
  if (sub === 'tagging' && parseBucketTagging(text).length === 0) {
    await r.engine.deleteBucketConfig(bucket, BUCKET_DOCUMENTS[sub], id, []);
    sendEmpty(r.res, 204);
    return;
  }
  const root = NAMED_RULES[sub];
  let stored = root === undefined ? text : withRuleIds(text, root);
  if (sub === 'notification') stored = withNotificationIds(normalizeFilterRuleNames(stored));
  await r.engine.putBucketConfig(
    bucket,
    BUCKET_DOCUMENTS[sub],
    stored,
    id,
    minimumSize === undefined ? {} : minimumSizeRow(minimumSize),
  );
  if (minimumSize !== undefined) answerStoredMinimumSize(r, minimumSize);
  // As S3 answers: 204 for a policy and tags, 200 for the rest (s3cmd reports a lifecycle
  // or CORS document as stored only on a 200).
  sendEmpty(r.res, sub === 'policy' || sub === 'tagging' ? 204 : 200);
}

/** Configurations a List…Configurations page holds at most, as on S3. */
const CONFIGURATIONS_PER_PAGE = 100;

/**
 * The opaque continuation token after the configuration `id` of a list (`scope`: bucket
 * and kind), so that a token given for one list is refused by another.
 */
function configurationToken(scope: string, id: string): string {
  return Buffer.from(`${scope}\n${id}`, 'utf8').toString('base64url');
}

/**
 * One page of a listable kind's configurations (sorted by id, in UTF-8 byte order as the
 * engine sorts them): those after the token's id. A token this server did not give for
 * this list is InvalidArgument.
 */
function configurationPage<T extends { id: string }>(
  docs: T[],
  token: string | undefined,
  scope: string,
): { docs: T[]; truncated: boolean } {
  let rest = docs;
  if (token !== undefined) {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    const prefix = `${scope}\n`;
    const id = text.startsWith(prefix) ? text.slice(prefix.length) : undefined;
    if (id === undefined || id === '' || configurationToken(scope, id) !== token) {
      throw new StowageError('E_INVALID_ARGUMENT', 'The continuation token provided is incorrect', {
        details: { argumentName: 'continuation-token', argumentValue: token.slice(0, 200) },
      });
    }
    const after = Buffer.from(id, 'utf8');
    rest = docs.filter((d) => Buffer.compare(Buffer.from(d.id, 'utf8'), after) > 0);
  }
  return {
    docs: rest.slice(0, CONFIGURATIONS_PER_PAGE),
    truncated: rest.length > CONFIGURATIONS_PER_PAGE,
  };
}

function stripDeclaration(xml: string): string {
  return xml.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
}

/** GET ?<sub-resource>: the stored document, or a list of the listable kinds. */
export function getBucketDocument(r: S3Request): void {
  const sub = subresourceOf(r);
  const bucket = bucketOf(r);
  const id = param(r, 'id');
  const listing = LISTABLE[sub];
  if (listing && id === undefined) {
    const token = param(r, 'continuation-token');
    const scope = `${bucket}/${sub}`;
    const page = configurationPage(
      r.engine.listBucketConfigs(bucket, BUCKET_DOCUMENTS[sub]),
      token,
      scope,
    );
    const last = page.docs.at(-1);
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<${listing.list} xmlns="${S3_XMLNS}">` +
      (token !== undefined ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : '') +
      page.docs.map((d) => stripDeclaration(compactDocument(d.document))).join('') +
      `<IsTruncated>${page.truncated}</IsTruncated>` +
      (page.truncated && last
        ? `<NextContinuationToken>${configurationToken(scope, last.id)}</NextContinuationToken>`
        : '') +
      `</${listing.list}>`;
    send(r, xml, 'application/xml');
    return;
  }
  let doc = storedOrDefault(r, bucket, sub, listing ? (id ?? '') : '');
  if (sub === 'lifecycle') answerMinimumSize(r, bucket);
  // S3 reports all four settings of a public access block, those not sent as false.
  if (sub === 'publicAccessBlock') doc = publicAccessBlockDocument(parsePublicAccessBlock(doc));
  if (sub === 'policy') send(r, doc, 'application/json');
  else send(r, compactDocument(doc), 'application/xml');
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * What S3 answers for a bucket that has no document of these kinds: every bucket is
 * encrypted with SSE-S3 by default (as here, unless `server.defaultEncryption: none`), and logging and
 * notifications read back as empty documents rather than errors.
 */
const DEFAULT_DOCUMENTS: Partial<Record<keyof typeof BUCKET_DOCUMENTS, string>> = {
  encryption:
    `${XML_DECLARATION}<ServerSideEncryptionConfiguration xmlns="${S3_XMLNS}"><Rule>` +
    '<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>' +
    '</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>' +
    '</ServerSideEncryptionConfiguration>',
  logging: `${XML_DECLARATION}<BucketLoggingStatus xmlns="${S3_XMLNS}"/>`,
  notification: `${XML_DECLARATION}<NotificationConfiguration xmlns="${S3_XMLNS}"/>`,
};

function storedOrDefault(
  r: S3Request,
  bucket: string,
  sub: keyof typeof BUCKET_DOCUMENTS,
  id: string,
): string {
  try {
    return r.engine.getBucketConfig(bucket, BUCKET_DOCUMENTS[sub], id);
  } catch (err) {
    // Under server.defaultEncryption: none an unconfigured bucket encrypts nothing, and says
    // so as S3 did before 2023 (ServerSideEncryptionConfigurationNotFoundError).
    const fallback =
      sub === 'encryption' && r.encryptByDefault === false ? undefined : DEFAULT_DOCUMENTS[sub];
    if (fallback !== undefined && isStowageError(err) && err.code === 'E_NO_SUCH_BUCKET_CONFIG')
      return fallback;
    throw err;
  }
}

function publicAccessBlockDocument(settings: PublicAccessBlock): string {
  const fields = (
    ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const
  )
    .map((k) => `<${k}>${settings[k]}</${k}>`)
    .join('');
  return `${XML_DECLARATION}<PublicAccessBlockConfiguration xmlns="${S3_XMLNS}">${fields}</PublicAccessBlockConfiguration>`;
}

function send(r: S3Request, text: string, type: string): void {
  r.res.statusCode = 200;
  r.res.setHeader('Content-Type', type);
  r.res.setHeader('Content-Length', Buffer.byteLength(text));
  r.res.end(text);
}

/** DELETE ?<sub-resource>. */
export async function deleteBucketDocument(r: S3Request): Promise<void> {
  const sub = subresourceOf(r);
  const id = documentId(r, sub, 'DELETE');
  const side = sub === 'lifecycle' ? MINIMUM_SIZE_ROWS : [];
  await r.engine.deleteBucketConfig(bucketOf(r), BUCKET_DOCUMENTS[sub], id, side);
  sendEmpty(r.res, 204);
}
