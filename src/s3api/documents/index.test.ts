import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { BUCKET_DOCUMENTS } from '../router.js';
import { DOCUMENT_VALIDATORS, validateBucketDocument, type DocumentContext } from './index.js';

/** Validators of these kinds read no engine state. */
const ctx = { bucket: 'b', id: 'x', engine: {} } as DocumentContext;

describe('DOCUMENT_VALIDATORS', () => {
  it('has a validator for every bucket sub-resource the router knows', () => {
    expect(Object.keys(DOCUMENT_VALIDATORS).sort()).toEqual(Object.keys(BUCKET_DOCUMENTS).sort());
  });

  it('routes each kind to its own validator', async () => {
    await expectError(
      () => validateBucketDocument('cors', '<LifecycleConfiguration/>', ctx),
      'E_MALFORMED_XML',
      /expected a <CORSConfiguration>/,
    );
    await expectError(
      () => validateBucketDocument('policy', '<x/>', ctx),
      'E_MALFORMED_POLICY',
      /valid JSON/,
    );
    await expectError(
      () => validateBucketDocument('tagging', '<Tagging/>', ctx),
      'E_MALFORMED_XML',
      /<TagSet>/,
    );
  });

  it("ownership controls need one rule with one of S3's three ObjectOwnership values", async () => {
    const doc = (v: string) =>
      `<OwnershipControls><Rule><ObjectOwnership>${v}</ObjectOwnership></Rule></OwnershipControls>`;
    for (const v of ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter']) {
      validateBucketDocument('ownershipControls', doc(v), ctx);
    }
    for (const bad of [
      doc('Everyone'),
      '<OwnershipControls/>',
      '<Anything><At>all</At></Anything>',
    ]) {
      await expectError(
        () => validateBucketDocument('ownershipControls', bad, ctx),
        'E_MALFORMED_XML',
        /OwnershipControls/,
      );
    }
    await expectError(
      () => validateBucketDocument('ownershipControls', '<open>', ctx),
      'E_MALFORMED_XML',
      /not well-formed/,
    );
  });

  it('checks only well-formedness for acl and website', async () => {
    for (const kind of ['acl', 'website'] as const) {
      validateBucketDocument(kind, '<Anything><At>all</At></Anything>', ctx);
      await expectError(
        () => validateBucketDocument(kind, '<open>', ctx),
        'E_MALFORMED_XML',
        /not well-formed/,
      );
      await expectError(() => validateBucketDocument(kind, ' ', ctx), 'E_MALFORMED_XML', /empty/);
    }
  });
});
