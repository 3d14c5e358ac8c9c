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

  it("checks acl and website for well-formed XML with S3's root element only", async () => {
    const roots = { acl: 'AccessControlPolicy', website: 'WebsiteConfiguration' } as const;
    for (const [kind, root] of Object.entries(roots) as Array<[keyof typeof roots, string]>) {
      validateBucketDocument(kind, `<${root}><Anything>at all</Anything></${root}>`, ctx);
      await expectError(
        () => validateBucketDocument(kind, '<open>', ctx),
        'E_MALFORMED_XML',
        /not well-formed/,
      );
      await expectError(() => validateBucketDocument(kind, ' ', ctx), 'E_MALFORMED_XML', /empty/);
      await expectError(
        () => validateBucketDocument(kind, '<Anything/>', ctx),
        'E_MALFORMED_XML',
        new RegExp(`expected a <${root}> document`),
      );
      // Stored and returned as sent, so every client must be able to parse them: each of
      // these was stored, and boto3 failed every later GET (a fuzz probe).
      for (const [bad, why] of [
        [`<${root}/>trailing`, /text after the root element/],
        [`<${root}/><${root}/>`, /one root element/],
        [`<${root}>\u0000</${root}>`, /U\+0000/],
        [`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><${root}>&e;</${root}>`, /DTD/],
      ] as const) {
        await expectError(() => validateBucketDocument(kind, bad, ctx), 'E_MALFORMED_XML', why);
      }
    }
  });
});
