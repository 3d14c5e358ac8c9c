import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { parseBucketTagging, validateBucketTagging } from './tagging.js';
import { errorDocument } from '../respond.js';
import type { StowageError } from '../../errors.js';

const tagging = (tags: string): string =>
  `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${tags}</TagSet></Tagging>`;
const tag = (k: string, v: string): string => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`;
const many = (n: number): string => Array.from({ length: n }, (_, i) => tag(`k${i}`, 'v')).join('');

describe('parseBucketTagging', () => {
  it('accepts tags (an empty value too), 50 of them, and an empty tag set', () => {
    expect(parseBucketTagging(tagging(tag('Project', 'Ziggie') + tag('Empty', '')))).toEqual([
      { key: 'Project', value: 'Ziggie' },
      { key: 'Empty', value: '' },
    ]);
    expect(parseBucketTagging(tagging(many(50)))).toHaveLength(50);
    expect(parseBucketTagging(tagging(''))).toEqual([]);
  });

  it('keeps the spaces around keys and values: "k" and " k " are two tags', () => {
    expect(parseBucketTagging(tagging(tag('k', 'v') + tag(' k ', ' v')))).toEqual([
      { key: 'k', value: 'v' },
      { key: ' k ', value: ' v' },
    ]);
  });

  it('refuses more than 50 tags, repeated keys, long keys and values, the aws: prefix', async () => {
    await expectError(
      () => validateBucketTagging(tagging(many(51))),
      'E_BAD_REQUEST',
      /Bucket tag count cannot be greater than 50; got 51/,
    );
    await expectError(
      () => validateBucketTagging(tagging(tag('a', '1') + tag('a', '2'))),
      'E_INVALID_TAG',
      /tag key "a" appears twice/,
    );
    await expectError(
      () => validateBucketTagging(tagging(tag('k'.repeat(129), 'v'))),
      'E_INVALID_TAG',
      /must be 1 to 128 characters/,
    );
    await expectError(
      () => validateBucketTagging(tagging(tag('k', 'v'.repeat(257)))),
      'E_INVALID_TAG',
      /value of tag "k" .* longer than 256 characters/,
    );
    await expectError(
      () => validateBucketTagging(tagging(tag('aws:owner', 'me'))),
      'E_INVALID_TAG',
      /reserved prefix "aws:"/,
    );
  });

  it("takes AWS's resource-tag characters only (letters of any script, digits, spaces, _ . : / = + - @)", async () => {
    validateBucketTagging(
      tagging(tag('team-name_1', 'Ziggie Cloud: a/b=c+d@e.f') + tag('Équipe', 'ゲーム')),
    );
    for (const [k, v] of [
      ['a (b)', 'v'],
      ['k', 'x,y'],
      ['k', 'semi;colon'],
      ['k*', 'v'],
    ]) {
      await expectError(
        () => validateBucketTagging(tagging(tag(k!, v!))),
        'E_INVALID_TAG',
        /^The Tag(Key|Value) you have provided is invalid/,
      );
    }
  });

  it('counts characters, not bytes', () => {
    validateBucketTagging(tagging(tag('é'.repeat(128), 'ü'.repeat(256))));
  });

  it('refuses a missing TagSet or Key (MalformedXML)', async () => {
    await expectError(
      () => validateBucketTagging('<Tagging/>'),
      'E_MALFORMED_XML',
      /missing the required element <TagSet>/,
    );
    await expectError(
      () => validateBucketTagging(tagging('<Tag><Value>v</Value></Tag>')),
      'E_MALFORMED_XML',
      /missing the required element <Key>/,
    );
    await expectError(
      () => validateBucketTagging(tagging('<Tags/>')),
      'E_MALFORMED_XML',
      /unknown element <Tags>/,
    );
  });
});

describe('InvalidTag error elements (LocalStack test_tagging_validation snapshot)', () => {
  const doc = (xml: string): string => {
    try {
      parseBucketTagging(xml);
    } catch (err) {
      return errorDocument(err as StowageError, 'req');
    }
    throw new Error('no error');
  };
  it('names TagKey, and TagValue for a bad value', () => {
    expect(doc(tagging(tag('Key1', 'a') + tag('Key1', 'b')))).toContain('<TagKey>Key1</TagKey>');
    expect(doc(tagging(tag('Key1,Key2', 'v')))).toContain('<TagKey>Key1,Key2</TagKey>');
    expect(doc(tagging(tag('aws:prefixed', 'v')))).toContain('<TagKey>aws:prefixed</TagKey>');
    const bad = doc(tagging(tag('Key1', 'Val1,Val2')));
    expect(bad).toContain('<TagKey>Key1</TagKey>');
    expect(bad).toContain('<TagValue>Val1,Val2</TagValue>');
  });
});
