import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Engine } from '../../engine/engine.js';
import { openTestEngine } from '../../../test/helpers/engine.js';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateReplication } from './replication.js';

let engine: Engine;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ engine, close } = await openTestEngine());
  await engine.createBucket('ziggie-cloud-backups');
  await engine.putBucketVersioning('ziggie-cloud-backups', 'Enabled');
  await engine.createBucket('ziggie-cloud-backups-replica');
  await engine.putBucketVersioning('ziggie-cloud-backups-replica', 'Enabled');
  await engine.createBucket('unversioned');
  await engine.createBucket('suspended');
  await engine.putBucketVersioning('suspended', 'Suspended');
});
afterAll(async () => close());

const ROLE = '<Role>arn:aws:iam::ACCOUNT_ID:role/s3-replication-role</Role>';
const DEST =
  '<Destination><Bucket>arn:aws:s3:::ziggie-cloud-backups-replica</Bucket><StorageClass>GLACIER</StorageClass></Destination>';
const repl = (rules: string, role = ROLE): string =>
  `<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${role}${rules}</ReplicationConfiguration>`;
/** Seed 000 §12.1's rule, with parts replaced. */
const rule = (
  p: { head?: string; filter?: string; dmr?: string; dest?: string; extra?: string } = {},
): string =>
  '<Rule>' +
  (p.head ?? '<Status>Enabled</Status><Priority>1</Priority>') +
  (p.dmr ?? '<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>') +
  (p.filter ?? '<Filter><Prefix>critical/</Prefix></Filter>') +
  (p.dest ?? DEST) +
  (p.extra ?? '') +
  '</Rule>';
const check = (xml: string, bucket = 'ziggie-cloud-backups'): void =>
  validateReplication(xml, { bucket, id: '', engine });

describe('validateReplication', () => {
  it('accepts the seed configuration, an empty filter, a V1 rule with a Prefix, more rules', () => {
    check(repl(rule()));
    check(
      repl(
        rule({
          filter: '<Filter/>',
          head: '<ID>to-backups</ID><Status>Enabled</Status><Priority>1</Priority>',
        }),
      ),
    );
    check(
      repl('<Rule><ID>v1</ID><Prefix>logs/</Prefix><Status>Enabled</Status>' + DEST + '</Rule>'),
    );
    check(
      repl(
        rule() +
          rule({
            head: '<Status>Disabled</Status><Priority>2</Priority>',
            extra:
              '<SourceSelectionCriteria><ReplicaModifications><Status>Enabled</Status></ReplicaModifications></SourceSelectionCriteria>' +
              '<ExistingObjectReplication><Status>Enabled</Status></ExistingObjectReplication>',
          }),
      ),
    );
  });

  it('refuses a bucket whose versioning is not Enabled, with S3 wording', async () => {
    for (const bucket of ['unversioned', 'suspended']) {
      await expectError(
        () => check(repl(rule()), bucket),
        'E_INVALID_REQUEST',
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
      );
    }
  });

  it('refuses a destination bucket of this server that does not keep versions, with S3 wording', async () => {
    const to = (bucket: string): string =>
      rule({ dest: `<Destination><Bucket>arn:aws:s3:::${bucket}</Bucket></Destination>` });
    // A bucket this server does not have may be on another store (stowage apply).
    check(repl(to('on-another-store')));
    for (const bucket of ['unversioned', 'suspended']) {
      await expectError(
        () => check(repl(to(bucket))),
        'E_INVALID_REQUEST',
        `Destination bucket must have versioning enabled. ("${bucket}" is ${bucket})`,
      );
    }
    // Every rule's destination is checked, not only the first.
    await expectError(
      () =>
        check(
          repl(
            rule() +
              rule({
                head: '<Status>Enabled</Status><Priority>2</Priority>',
                dest: '<Destination><Bucket>arn:aws:s3:::unversioned</Bucket></Destination>',
              }),
          ),
        ),
      'E_INVALID_REQUEST',
      'Destination bucket must have versioning enabled.',
    );
  });

  it('takes an empty Role (stowage apply sends one for this server; AWS needs an IAM role)', () => {
    check(repl(rule(), '<Role></Role>'));
    check(repl(rule(), '<Role/>'));
  });

  it('refuses a missing Role, no Rule, a rule without Status or Destination', async () => {
    await expectError(
      () => check(repl(rule(), '')),
      'E_MALFORMED_XML',
      /missing the required element <Role>/,
    );
    await expectError(() => check(repl('')), 'E_MALFORMED_XML', /at least one <Rule>/);
    await expectError(
      () => check(repl(rule({ head: '<Priority>1</Priority>' }))),
      'E_MALFORMED_XML',
      /missing the required element <Status>/,
    );
    await expectError(
      () => check(repl(rule({ dest: '' }))),
      'E_MALFORMED_XML',
      /missing the required element <Destination>/,
    );
    await expectError(
      () =>
        check(
          repl(rule({ dest: '<Destination><StorageClass>GLACIER</StorageClass></Destination>' })),
        ),
      'E_MALFORMED_XML',
      /missing the required element <Bucket>/,
    );
  });

  it('refuses a destination that is not a bucket ARN, an unknown storage class, both Filter and Prefix', async () => {
    await expectError(
      () =>
        check(
          repl(
            rule({
              dest: '<Destination><Bucket>ziggie-cloud-backups-replica</Bucket></Destination>',
            }),
          ),
        ),
      'E_INVALID_ARGUMENT',
      /Invalid bucket ARN "ziggie-cloud-backups-replica"/,
    );
    await expectError(
      () =>
        check(
          repl(
            rule({
              dest: '<Destination><Bucket>arn:aws:s3:::b-replica</Bucket><StorageClass>TAPE</StorageClass></Destination>',
            }),
          ),
        ),
      'E_MALFORMED_XML',
      /<StorageClass> .* got "TAPE"/,
    );
    await expectError(
      () => check(repl(rule({ extra: '<Prefix>x</Prefix>' }))),
      'E_MALFORMED_XML',
      /both <Filter> and <Prefix>/,
    );
  });

  it('refuses a Filter rule without DeleteMarkerReplication or Priority, and repeated priorities or IDs', async () => {
    await expectError(
      () => check(repl(rule({ dmr: '' }))),
      'E_INVALID_REQUEST',
      /DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema/,
    );
    await expectError(
      () => check(repl(rule({ head: '<Status>Enabled</Status>' }))),
      'E_INVALID_REQUEST',
      /Priority must be specified/,
    );
    await expectError(
      () => check(repl(rule() + rule())),
      'E_INVALID_REQUEST',
      /Found duplicate priority 1/,
    );
    const r = (p: number): string =>
      rule({ head: `<ID>same</ID><Status>Enabled</Status><Priority>${p}</Priority>` });
    await expectError(
      () => check(repl(r(1) + r(2))),
      'E_INVALID_ARGUMENT',
      /Rule ID must be unique. Found same ID "same"/,
    );
  });

  it('refuses delete-marker replication with a tag filter, and bad status blocks', async () => {
    await expectError(
      () =>
        check(
          repl(
            rule({
              filter: '<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>',
              dmr: '<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>',
            }),
          ),
        ),
      'E_INVALID_REQUEST',
      /Delete marker replication is not supported with a Tag filter/,
    );
    await expectError(
      () =>
        check(
          repl(
            rule({ dmr: '<DeleteMarkerReplication><Status>On</Status></DeleteMarkerReplication>' }),
          ),
        ),
      'E_MALFORMED_XML',
      /<Status> in the <DeleteMarkerReplication> .* got "On"/,
    );
  });

  it("checks the destination's blocks element by element, as S3's schema has them", async () => {
    const dest = (blocks: string): string =>
      rule({
        dest: `<Destination><Bucket>arn:aws:s3:::ziggie-cloud-backups-replica</Bucket><Account>123456789012</Account>${blocks}</Destination>`,
      });
    const rtc =
      '<ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime>';
    const metrics =
      '<Metrics><Status>Enabled</Status><EventThreshold><Minutes>15</Minutes></EventThreshold></Metrics>';
    check(
      repl(
        dest(
          '<AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation>' +
            '<EncryptionConfiguration><ReplicaKmsKeyID>arn:aws:kms:us-east-1:123456789012:key/k</ReplicaKmsKeyID></EncryptionConfiguration>' +
            rtc +
            metrics,
        ),
      ),
    );
    check(repl(dest('<Metrics><Status>Disabled</Status></Metrics>')));
    for (const [blocks, code, message] of [
      [
        '<AccessControlTranslation><Owner>Source</Owner></AccessControlTranslation>',
        'E_MALFORMED_XML',
        /<Owner> .* must be one of Destination; got "Source"/,
      ],
      [
        '<AccessControlTranslation></AccessControlTranslation>',
        'E_MALFORMED_XML',
        /missing the required element <Owner>/,
      ],
      [
        '<ReplicationTime><Status>Enabled</Status></ReplicationTime>' + metrics,
        'E_MALFORMED_XML',
        /missing the required element <Time>/,
      ],
      [rtc, 'E_INVALID_REQUEST', /<ReplicationTime> without <Metrics>/],
      [
        '<EncryptionConfiguration><Foo>1</Foo></EncryptionConfiguration>',
        'E_MALFORMED_XML',
        /unknown element <Foo>/,
      ],
      [
        '<Metrics><Status>Enabled</Status><EventThreshold><Foo>1</Foo></EventThreshold></Metrics>',
        'E_MALFORMED_XML',
        /unknown element <Foo>/,
      ],
    ] as const) {
      await expectError(() => check(repl(dest(blocks))), code, message);
    }
  });
});
