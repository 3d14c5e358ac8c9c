/** PutBucketTagging and PutObjectTagging: a `<TagSet>` of tags with unique keys. */
import { StowageError } from '../../errors.js';
import { parseTags, type Tag } from './filter.js';
import { allowOnly, parseDocument, requireElement } from './xml-fields.js';

/**
 * What a tag's key and value may hold, on buckets and objects alike: letters, digits and
 * spaces of any script and `_ . : / = + - @` (AWS's tag pattern). Checked where a request
 * sets tags, never on tags already stored (a copy carries those over as they are).
 */
export const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** InvalidTag unless a tag's key and value hold only {@link TAG_TEXT}'s characters. */
export function checkTagText(key: string, value: string): void {
  for (const [field, text] of [
    ['TagKey', key],
    ['TagValue', value],
  ] as const) {
    if (!TAG_TEXT.test(text)) {
      throw new StowageError(
        'E_INVALID_TAG',
        `The ${field} you have provided is invalid: "${text}" (letters, digits, spaces and _ . : / = + - @ only)`,
        { details: field === 'TagKey' ? { tagKey: key } : { tagKey: key, tagValue: value } },
      );
    }
  }
}

/** S3's limit on tags per bucket (objects allow 10). */
export const MAX_BUCKET_TAGS = 50;

/** Parses and validates a bucket tag set. Every rule broken is InvalidTag. */
export function parseBucketTagging(xml: string): Tag[] {
  const doc = parseDocument(xml, 'Tagging');
  allowOnly(doc, ['TagSet'], 'Tagging');
  const set = requireElement(doc, 'TagSet', 'Tagging');
  allowOnly(set, ['Tag'], 'the <TagSet>');
  const tags = parseTags(set, 'the bucket tag set');
  if (tags.length > MAX_BUCKET_TAGS) {
    // S3's code for a count over the limit is BadRequest, not InvalidTag.
    throw new StowageError(
      'E_BAD_REQUEST',
      `Bucket tag count cannot be greater than ${MAX_BUCKET_TAGS}; got ${tags.length}`,
    );
  }
  for (const t of tags) {
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw new StowageError(
        'E_INVALID_TAG',
        `tag key "${t.key}" uses the reserved prefix "aws:"`,
        {
          details: { tagKey: t.key },
        },
      );
    }
    checkTagText(t.key, t.value);
  }
  return tags;
}

/**
 * PutObjectTagging's body, as strict as a bucket's: one `<TagSet>` of `<Tag>`s with a
 * `<Key>` and a `<Value>` each and unique keys (the engine checks the per-object limits).
 * The record has a key per tag, `constructor` or `__proto__` included; keys and values
 * keep their spaces.
 */
export function parseObjectTagging(xml: string): Record<string, string> {
  // Spaces around a tag's key or value are part of it, as in x-amz-tagging.
  const doc = parseDocument(xml, 'Tagging');
  allowOnly(doc, ['TagSet'], 'Tagging');
  const set = requireElement(doc, 'TagSet', 'Tagging');
  allowOnly(set, ['Tag'], 'the <TagSet>');
  const tags = parseTags(set, 'the tag set');
  for (const t of tags) checkTagText(t.key, t.value);
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

/** The bucket-document validator for `?tagging`. */
export function validateBucketTagging(xml: string): void {
  parseBucketTagging(xml);
}
