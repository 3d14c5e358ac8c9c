/** Bucket operations: list, create, head, delete, location, versioning. */
import { bucketNameProblem } from '../../bucket-names.js';
import { StowageError } from '../../errors.js';
import { bucketOf, header, intParam, param, type S3Request } from '../context.js';
import { readSmallBody } from '../small-body.js';
import { sendEmpty, sendXml } from '../respond.js';
import { createBucketAclDocuments, createBucketOwnership } from './acl.js';
import { children } from '../xml/parse.js';
import { toXml } from '../xml/build.js';
import { decodeUtf8 } from '../xml/well-formed.js';
import { parseBucketTagging } from '../documents/tagging.js';
import {
  allowOnly,
  elementOf,
  oneOf,
  parseDocument,
  textOf,
  type XmlElement,
} from '../documents/xml-fields.js';
import { parseTags } from '../documents/filter.js';
import { OWNER_ID } from '../acl/grants.js';

/** S3's page size for ListBuckets with any paging parameter but max-buckets, and its cap. */
const MAX_BUCKETS = 10_000;

/**
 * ListBuckets, with the parameters S3 added in 2024: `prefix` and `bucket-region` filter;
 * `max-buckets` (1 to 10,000) pages, and any of them turns paging on (10,000 per page),
 * with an opaque `continuation-token` naming the last bucket listed.
 */
export function listBuckets(r: S3Request): void {
  const prefix = param(r, 'prefix');
  const region = param(r, 'bucket-region');
  const token = param(r, 'continuation-token');
  const max = intParam(r, 'max-buckets');
  if (max !== undefined && (max < 1 || max > MAX_BUCKETS)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `max-buckets must be between 1 and ${MAX_BUCKETS}, got ${max}`,
      { details: { argumentName: 'max-buckets' } },
    );
  }
  const after = token === undefined || token === '' ? undefined : bucketFromToken(token);
  const paged = [prefix, region, token, max].some((v) => v !== undefined);
  const matching = r.engine
    .listBuckets()
    .filter(
      (b) =>
        (prefix === undefined || b.name.startsWith(prefix)) &&
        (region === undefined || b.region === region) &&
        (after === undefined || b.name > after),
    );
  const page = paged ? matching.slice(0, max ?? MAX_BUCKETS) : matching;
  const last = page[page.length - 1];
  sendXml(r.res, 200, 'ListAllMyBucketsResult', {
    Owner: { ID: OWNER_ID, DisplayName: 'stowage' },
    Buckets: {
      Bucket: page.map((b) => ({
        Name: b.name,
        CreationDate: b.createdAt,
        // Only in answer to a request with a parameter, as S3 documents it: strict readers
        // of the classic answer (Common Lisp's zs3) know Name and CreationDate alone.
        ...(paged ? { BucketRegion: b.region } : {}),
      })),
    },
    ContinuationToken:
      page.length < matching.length && last
        ? Buffer.from(last.name).toString('base64url')
        : undefined,
    Prefix: prefix,
  });
}

function bucketFromToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (bucketNameProblem(name) !== undefined || Buffer.from(name).toString('base64url') !== token) {
    throw new StowageError('E_INVALID_ARGUMENT', 'the continuation token provided is incorrect', {
      details: { argumentName: 'continuation-token' },
    });
  }
  return name;
}

const CONFIGURATION = 'CreateBucketConfiguration';

/**
 * The bucket tag set a CreateBucketConfiguration's `<Tags>` names, as a Tagging document
 * checked as PutBucketTagging checks one (keys and values as written, not trimmed);
 * undefined without tags.
 */
function taggingAtCreate(doc: XmlElement): string | undefined {
  const where = `the <Tags> of ${CONFIGURATION}`;
  const tagsElement = elementOf(doc, 'Tags', CONFIGURATION);
  if (tagsElement === undefined) return undefined;
  allowOnly(tagsElement, ['Tag'], where);
  const tags = parseTags(tagsElement, where);
  if (tags.length === 0) return undefined;
  const xml = toXml('Tagging', {
    TagSet: { Tag: tags.map((t) => ({ Key: t.key, Value: t.value })) },
  });
  parseBucketTagging(xml);
  return xml;
}

/**
 * The LocationConstraint and tags of a CreateBucketConfiguration, read as S3's schema has
 * it: each element at most once, nothing else, text as written (` eu-west-1 ` is no
 * region). `Location` and `Bucket` describe directory buckets (S3 Express One Zone).
 */
function readConfiguration(body: Buffer): { region?: string; tagging?: string } {
  const doc = parseDocument(decodeUtf8(body), CONFIGURATION);
  for (const tag of ['Location', 'Bucket']) {
    if (doc[tag] !== undefined) {
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        `<${tag}> in ${CONFIGURATION} is for directory buckets (S3 Express One Zone), which this server does not have; leave it out for a general purpose bucket`,
      );
    }
  }
  allowOnly(doc, ['LocationConstraint', 'Tags'], CONFIGURATION);
  if (children(doc, 'LocationConstraint').length > 1) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `<LocationConstraint> may appear only once in ${CONFIGURATION}`,
    );
  }
  const region = textOf(doc, 'LocationConstraint', CONFIGURATION);
  const tagging = taggingAtCreate(doc);
  return {
    ...(region !== undefined ? { region } : {}),
    ...(tagging !== undefined ? { tagging } : {}),
  };
}

/** CreateBucket with an optional CreateBucketConfiguration: LocationConstraint, Tags. */
export async function createBucket(r: S3Request): Promise<void> {
  const body = await readSmallBody(r, 64 * 1024);
  // `us-east-1` named outright is taken, though S3's us-east-1 refuses it: MinIO takes it,
  // and rclone configs written for MinIO (location_constraint = us-east-1) keep working.
  const { region, tagging } = body.length > 0 ? readConfiguration(body) : {};
  const bucket = bucketOf(r);
  // `true` (any case) creates the bucket with Object Lock and versioning Enabled, as S3 does;
  // boto3 sends `false` for a bucket without it.
  const objectLock = objectLockAtCreate(header(r, 'x-amz-bucket-object-lock-enabled'));
  const ownership = createBucketOwnership(r, bucket);
  if (tagging !== undefined) {
    // S3 needs s3:TagResource to create a bucket with tags: judged now the body is read.
    if (!r.deferred?.bucketTags)
      throw new StowageError('E_INTERNAL', 'CreateBucket with tags was not authorised');
    r.deferred.bucketTags();
  }
  const documents = {
    ...createBucketAclDocuments(r, ownership),
    ...(tagging !== undefined ? { tagging } : {}),
  };
  await r.engine.createBucket(bucket, {
    ...(region ? { region } : {}),
    documents,
    ...(objectLock ? { objectLock } : {}),
  });
  r.res.setHeader('Location', `/${bucket}`);
  sendEmpty(r.res, 200);
}

/** `x-amz-bucket-object-lock-enabled`: `true` or `false` (any case); anything else is InvalidArgument. */
function objectLockAtCreate(value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new StowageError(
    'E_INVALID_ARGUMENT',
    `x-amz-bucket-object-lock-enabled must be true or false, got "${value}"`,
    { details: { argumentName: 'x-amz-bucket-object-lock-enabled', argumentValue: value } },
  );
}

/** HeadBucket. */
export function headBucket(r: S3Request): void {
  const info = r.engine.headBucket(bucketOf(r));
  r.res.setHeader('x-amz-bucket-region', info.region);
  // S3 labels HeadBucket's empty answer application/xml, as its other bucket answers.
  r.res.setHeader('Content-Type', 'application/xml');
  sendEmpty(r.res, 200);
}

/** DeleteBucket. */
export async function deleteBucket(r: S3Request): Promise<void> {
  await r.engine.deleteBucket(bucketOf(r));
  sendEmpty(r.res, 204);
}

/** GetBucketLocation: us-east-1 is reported as an empty constraint, as S3 does. */
export function getBucketLocation(r: S3Request): void {
  const info = r.engine.headBucket(bucketOf(r));
  sendXml(r.res, 200, 'LocationConstraint', info.region === 'us-east-1' ? '' : info.region);
}

/** GetBucketVersioning: an unversioned bucket has no Status element. */
export function getBucketVersioning(r: S3Request): void {
  const state = r.engine.getBucketVersioning(bucketOf(r));
  sendXml(r.res, 200, 'VersioningConfiguration', state === 'Unversioned' ? {} : { Status: state });
}

/** PutBucketVersioning. MFA Delete is not supported. */
export async function putBucketVersioning(r: S3Request): Promise<void> {
  const doc = parseDocument(
    decodeUtf8(await readSmallBody(r, 64 * 1024)),
    'VersioningConfiguration',
  );
  // S3's schema: these two elements and nothing else; MfaDelete is Enabled or Disabled.
  allowOnly(doc, ['Status', 'MfaDelete'], 'VersioningConfiguration');
  const status = textOf(doc, 'Status', 'VersioningConfiguration');
  const mfa = textOf(doc, 'MfaDelete', 'VersioningConfiguration');
  if (mfa !== undefined)
    oneOf(mfa, ['Enabled', 'Disabled'], 'MfaDelete', 'VersioningConfiguration');
  if (mfa === 'Enabled') throw new StowageError('E_NOT_IMPLEMENTED', 'MFA Delete is not supported');
  // As S3 answers: no <Status> at all is IllegalVersioningConfigurationException, and a
  // value its schema does not know (`enabled`, `Disabled`) is MalformedXML.
  if (status === undefined)
    throw new StowageError(
      'E_ILLEGAL_VERSIONING_CONFIGURATION',
      'The Versioning element must be specified',
    );
  if (status !== 'Enabled' && status !== 'Suspended')
    throw new StowageError(
      'E_MALFORMED_XML',
      `versioning status must be Enabled or Suspended, got "${status}"`,
    );
  const bucket = bucketOf(r);
  if (status === 'Suspended' && r.engine.findBucketConfig(bucket, 'replication') !== undefined) {
    // S3's answer: replication needs every version, so it must go first.
    throw new StowageError(
      'E_INVALID_BUCKET_STATE',
      'A replication configuration is present on this bucket, so you cannot change the versioning state. To change the versioning state, first delete the replication configuration.',
    );
  }
  await r.engine.putBucketVersioning(bucket, status as 'Enabled');
  sendEmpty(r.res, 200);
}
