import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { parseLifecycleRules, validateLifecycle } from './lifecycle.js';

const lc = (rules: string): string =>
  `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</LifecycleConfiguration>`;
/** One enabled rule for prefix `p/` with `inner` actions. */
const rule = (inner: string, head = '<ID>r</ID><Filter><Prefix>p/</Prefix></Filter>'): string =>
  lc(`<Rule>${head}<Status>Enabled</Status>${inner}</Rule>`);
const tr = (days: number | string, cls: string): string =>
  `<Transition><Days>${days}</Days><StorageClass>${cls}</StorageClass></Transition>`;
const trDate = (date: string, cls: string): string =>
  `<Transition><Date>${date}</Date><StorageClass>${cls}</StorageClass></Transition>`;
const ncTr = (days: number, cls: string): string =>
  `<NoncurrentVersionTransition><NoncurrentDays>${days}</NoncurrentDays><StorageClass>${cls}</StorageClass></NoncurrentVersionTransition>`;
const exp = (inner: string): string => `<Expiration>${inner}</Expiration>`;

/** Seed 000 §3.1, as the SDK serialises it. */
const SEED_000 = lc(
  '<Rule><ID>BackupArchival</ID><Filter><Prefix>n8n/workflows/</Prefix></Filter><Status>Enabled</Status>' +
    tr(30, 'GLACIER_IR') +
    tr(90, 'GLACIER') +
    tr(365, 'DEEP_ARCHIVE') +
    ncTr(7, 'GLACIER_IR') +
    exp('<Days>730</Days>') +
    '</Rule>' +
    '<Rule><ID>ComfyUICleanup</ID><Filter><Prefix>comfyui/generated/</Prefix></Filter><Status>Enabled</Status>' +
    tr(60, 'INTELLIGENT_TIERING') +
    exp('<Days>180</Days>') +
    '</Rule>',
);
/** Seed 002 §7.5.3: a transition on day 0. */
const SEED_002 = lc(
  '<Rule><ID>MoveToGlacierAfter90Days</ID><Filter><Prefix>backups/</Prefix></Filter><Status>Enabled</Status>' +
    tr(90, 'GLACIER') +
    '</Rule>' +
    '<Rule><ID>IntelligentTieringForAssets</ID><Filter><Prefix>game-assets/</Prefix></Filter><Status>Enabled</Status>' +
    tr(0, 'INTELLIGENT_TIERING') +
    '</Rule>',
);

describe('parseLifecycleRules: accepted', () => {
  it('parses the seed 000 rules into the typed form', () => {
    const rules = parseLifecycleRules(SEED_000);
    expect(rules[0]).toEqual({
      id: 'BackupArchival',
      status: 'Enabled',
      filter: { prefix: 'n8n/workflows/', tags: [] },
      transitions: [
        { days: 30, storageClass: 'GLACIER_IR' },
        { days: 90, storageClass: 'GLACIER' },
        { days: 365, storageClass: 'DEEP_ARCHIVE' },
      ],
      noncurrentVersionTransitions: [{ noncurrentDays: 7, storageClass: 'GLACIER_IR' }],
      expiration: { days: 730 },
    });
    expect(rules[1]?.transitions).toEqual([{ days: 60, storageClass: 'INTELLIGENT_TIERING' }]);
  });

  it('accepts seed 002 (a day-0 transition) and the interop rule (STANDARD_IA at 30, GLACIER at 90)', () => {
    expect(parseLifecycleRules(SEED_002)).toHaveLength(2);
    validateLifecycle(rule(tr(30, 'STANDARD_IA') + tr(90, 'GLACIER') + exp('<Days>365</Days>')));
  });

  it('accepts the legacy top-level Prefix (s3cmd), an empty filter and a Disabled rule', () => {
    const [legacy] = parseLifecycleRules(
      lc(
        '<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Disabled</Status>' +
          exp('<Days>1</Days>') +
          '</Rule>',
      ),
    );
    expect(legacy).toMatchObject({ status: 'Disabled', filter: { prefix: 'logs/' } });
    validateLifecycle(rule(exp('<Days>1</Days>'), '<Filter/>'));
    validateLifecycle(rule(exp('<Days>1</Days>'), '<Filter></Filter>'));
  });

  it('keeps text as written: a prefix with spaces is that prefix; numbers and dates may be padded', () => {
    const [r] = parseLifecycleRules(
      rule(
        tr('\n  30\n', 'GLACIER') + exp('<Days> 400 </Days>'),
        '<ID> r </ID><Filter>\n  <Prefix> logs/</Prefix>\n</Filter>',
      ),
    );
    expect(r).toMatchObject({
      id: ' r ',
      filter: { prefix: ' logs/' },
      transitions: [{ days: 30, storageClass: 'GLACIER' }],
      expiration: { days: 400 },
    });
    const [dated] = parseLifecycleRules(
      rule(trDate(' 2030-01-01 ', 'GLACIER') + exp('<Date>\n2031-01-01\n</Date>')),
    );
    expect(dated).toMatchObject({
      transitions: [{ date: '2030-01-01T00:00:00.000Z', storageClass: 'GLACIER' }],
      expiration: { date: '2031-01-01T00:00:00.000Z' },
    });
    // An element of elements may hold layout only.
    validateLifecycle(rule(exp('<Days>1</Days>'), '<Filter>\n  </Filter>'));
  });

  it('accepts And filters with tags and sizes, and every action', () => {
    const [r] = parseLifecycleRules(
      rule(
        exp('<Date>2030-01-01T00:00:00.000Z</Date>') +
          ncTr(30, 'STANDARD_IA') +
          ncTr(90, 'GLACIER') +
          '<NoncurrentVersionExpiration><NoncurrentDays>365</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>',
        '<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>' +
          '<ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan><ObjectSizeLessThan>4096</ObjectSizeLessThan></And></Filter>',
      ),
    );
    expect(r?.filter).toEqual({
      prefix: 'a/',
      tags: [
        { key: 'k', value: 'v' },
        { key: 'k2', value: '' },
      ],
      objectSizeGreaterThan: 1024,
      objectSizeLessThan: 4096,
    });
    expect(r?.expiration).toEqual({ date: '2030-01-01T00:00:00.000Z' });
    expect(r?.noncurrentVersionExpiration).toEqual({
      noncurrentDays: 365,
      newerNoncurrentVersions: 3,
    });
    validateLifecycle(
      rule(
        exp('<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>') +
          '<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
      ),
    );
  });

  it('accepts date-based transitions in order, and plain dates', () => {
    const [r] = parseLifecycleRules(
      rule(
        trDate('2030-01-01', 'STANDARD_IA') +
          trDate('2030-03-01T00:00:00Z', 'GLACIER') +
          exp('<Date>2031-01-01T00:00:00</Date>'),
      ),
    );
    expect(r?.transitions.map((t) => t.date)).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2030-03-01T00:00:00.000Z',
    ]);
  });
});

describe('parseLifecycleRules: structure (MalformedXML)', () => {
  it('no rules, too many rules, unknown elements', async () => {
    await expectError(() => validateLifecycle(lc('')), 'E_MALFORMED_XML', /at least one <Rule>/);
    const one = `<Rule><Filter/><Status>Enabled</Status>${exp('<Days>1</Days>')}</Rule>`;
    await expectError(
      () => validateLifecycle(lc(one.repeat(1001))),
      'E_MALFORMED_XML',
      /1001 rules; the maximum is 1000/,
    );
    await expectError(
      () => validateLifecycle(rule(exp('<Days>1</Days>') + '<Transitions/>')),
      'E_MALFORMED_XML',
      /rule "r" has an unknown element <Transitions>/,
    );
  });

  it('a missing or bad Status', async () => {
    await expectError(
      () => validateLifecycle(lc(`<Rule><ID>r</ID><Filter/>${exp('<Days>1</Days>')}</Rule>`)),
      'E_MALFORMED_XML',
      /rule "r" is missing the required element <Status>/,
    );
    await expectError(
      () =>
        validateLifecycle(
          lc(`<Rule><ID>r</ID><Filter/><Status>enabled</Status>${exp('<Days>1</Days>')}</Rule>`),
        ),
      'E_MALFORMED_XML',
      /<Status> in rule "r" must be one of Enabled, Disabled; got "enabled"/,
    );
    // An enumeration value keeps its spaces, and no value of the schema has any.
    await expectError(
      () =>
        validateLifecycle(
          lc(`<Rule><ID>r</ID><Filter/><Status> Enabled </Status>${exp('<Days>1</Days>')}</Rule>`),
        ),
      'E_MALFORMED_XML',
      /<Status> in rule "r" must be one of Enabled, Disabled; got " Enabled "/,
    );
    await expectError(
      () => validateLifecycle(rule(tr(30, ' GLACIER '))),
      'E_MALFORMED_XML',
      /StorageClass/,
    );
  });

  it('Filter and Prefix together, or neither', async () => {
    await expectError(
      () => validateLifecycle(rule(exp('<Days>1</Days>'), '<Prefix>a</Prefix><Filter/>')),
      'E_MALFORMED_XML',
      /both <Filter> and <Prefix>/,
    );
    await expectError(
      () => validateLifecycle(rule(exp('<Days>1</Days>'), '<ID>x</ID>')),
      'E_MALFORMED_XML',
      /needs a <Filter>/,
    );
  });

  it('days past 32 bits (an S3 Integer); object sizes past them are fine (an S3 Long)', async () => {
    validateLifecycle(rule(exp('<Days>2147483647</Days>')));
    await expectError(
      () => validateLifecycle(rule(exp('<Days>2147483648</Days>'))),
      'E_MALFORMED_XML',
      /<Days> .* must be a 32-bit whole number/,
    );
    validateLifecycle(
      rule(
        exp('<Days>1</Days>'),
        '<ID>r</ID><Filter><ObjectSizeGreaterThan>5000000000</ObjectSizeGreaterThan></Filter>',
      ),
    );
  });

  it('two predicates without And, an empty And, a repeated Tag outside And', async () => {
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<Days>1</Days>'),
            '<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>',
          ),
        ),
      'E_MALFORMED_XML',
      /has <Prefix> and <Tag>; combine several conditions in <And>/,
    );
    await expectError(
      () => validateLifecycle(rule(exp('<Days>1</Days>'), '<Filter><And/></Filter>')),
      'E_MALFORMED_XML',
      /<And> .* is empty/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<Days>1</Days>'),
            '<Filter><Tag><Key>a</Key><Value/></Tag><Tag><Key>b</Key><Value/></Tag></Filter>',
          ),
        ),
      'E_MALFORMED_XML',
      /<Tag> may appear only once/,
    );
  });

  it('Expiration with no time or more than one, a bad number', async () => {
    await expectError(
      () => validateLifecycle(rule(exp(''))),
      'E_MALFORMED_XML',
      /needs one of <Days>, <Date> or <ExpiredObjectDeleteMarker>/,
    );
    await expectError(
      () => validateLifecycle(rule(exp('<Days>1</Days><Date>2030-01-01T00:00:00Z</Date>'))),
      'E_MALFORMED_XML',
      /only one of <Days>, <Date>/,
    );
    await expectError(
      () => validateLifecycle(rule(exp('<Days>ten</Days>'))),
      'E_MALFORMED_XML',
      /must be a whole number, got "ten"/,
    );
    await expectError(
      () =>
        validateLifecycle(rule(exp('<ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker>'))),
      'E_MALFORMED_XML',
      /must be true or false/,
    );
  });

  it('a Transition without a storage class, with an unknown one, with both Days and Date', async () => {
    await expectError(
      () => validateLifecycle(rule('<Transition><Days>30</Days></Transition>')),
      'E_MALFORMED_XML',
      /missing the required element <StorageClass>/,
    );
    await expectError(
      () => validateLifecycle(rule(tr(30, 'STANDARD'))),
      'E_MALFORMED_XML',
      /<StorageClass> in a <Transition> of rule "r" must be one of STANDARD_IA, .*; got "STANDARD"/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            '<Transition><Days>30</Days><Date>2030-01-01</Date><StorageClass>GLACIER</StorageClass></Transition>',
          ),
        ),
      'E_MALFORMED_XML',
      /exactly one of <Days> or <Date>/,
    );
  });

  it('noncurrent actions and AbortIncompleteMultipartUpload without their days', async () => {
    await expectError(
      () =>
        validateLifecycle(
          rule(
            '<NoncurrentVersionTransition><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>',
          ),
        ),
      'E_MALFORMED_XML',
      /missing the required element <NoncurrentDays>/,
    );
    await expectError(
      () => validateLifecycle(rule('<NoncurrentVersionExpiration/>')),
      'E_MALFORMED_XML',
      /missing the required element <NoncurrentDays>/,
    );
    await expectError(
      () => validateLifecycle(rule('<AbortIncompleteMultipartUpload/>')),
      'E_MALFORMED_XML',
      /missing the required element <DaysAfterInitiation>/,
    );
  });
});

describe('parseLifecycleRules: values (InvalidArgument)', () => {
  it('a transition to STANDARD_IA or ONEZONE_IA before 30 days, with S3 message', async () => {
    await expectError(
      () => validateLifecycle(rule(tr(7, 'STANDARD_IA'))),
      'E_INVALID_ARGUMENT',
      "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
    );
    await expectError(
      () => validateLifecycle(rule(tr(29, 'ONEZONE_IA'))),
      'E_INVALID_ARGUMENT',
      "'Days' in Transition action must be greater than or equal to 30 for storageClass 'ONEZONE_IA'",
    );
    await expectError(
      () => validateLifecycle(rule(ncTr(7, 'STANDARD_IA'))),
      'E_INVALID_ARGUMENT',
      "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
    );
  });

  it('days that are not positive', async () => {
    await expectError(
      () => validateLifecycle(rule(exp('<Days>0</Days>'))),
      'E_INVALID_ARGUMENT',
      /'Days' for Expiration action .* must be a positive integer, got 0/,
    );
    await expectError(
      () => validateLifecycle(rule(tr(-1, 'GLACIER'))),
      'E_INVALID_ARGUMENT',
      /must not be negative, got -1/,
    );
    // A noncurrent transition may take 0 days (terraform-provider-aws's acceptance tests
    // against AWS use noncurrent_days = 0); an expiration may not.
    validateLifecycle(rule(ncTr(0, 'GLACIER')));
    validateLifecycle(rule(ncTr(0, 'INTELLIGENT_TIERING')));
    await expectError(
      () => validateLifecycle(rule(ncTr(-1, 'GLACIER'))),
      'E_INVALID_ARGUMENT',
      /'NoncurrentDays' .* must not be negative, got -1/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            '<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
          ),
        ),
      'E_INVALID_ARGUMENT',
      /'DaysAfterInitiation' .* must be a positive integer/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            '<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>',
          ),
        ),
      'E_INVALID_ARGUMENT',
      /'NewerNoncurrentVersions' .* must be 1 to 100, got 101/,
    );
  });

  it('dates that are not ISO 8601 or not at midnight GMT', async () => {
    await expectError(
      () => validateLifecycle(rule(exp('<Date>next year</Date>'))),
      'E_INVALID_ARGUMENT',
      /not an ISO 8601 date: "next year"/,
    );
    await expectError(
      () => validateLifecycle(rule(exp('<Date>2030-01-01T12:00:00Z</Date>'))),
      'E_INVALID_ARGUMENT',
      /'Date' must be at midnight GMT/,
    );
    for (const date of [
      '2030-02-30T00:00:00Z',
      '2031-02-29',
      '2030-04-31T00:00:00.000Z',
      '2030-13-01',
      '2030-02-28T24:00:00Z',
    ]) {
      await expectError(
        () => validateLifecycle(rule(exp(`<Date>${date}</Date>`))),
        'E_INVALID_ARGUMENT',
        /is not a calendar date/,
      );
    }
    expect(() => validateLifecycle(rule(exp('<Date>2032-02-29T00:00:00Z</Date>')))).not.toThrow();
  });

  it('transitions to the same class twice, on the same day, or against the waterfall order', async () => {
    await expectError(
      () => validateLifecycle(rule(tr(30, 'GLACIER') + tr(60, 'GLACIER'))),
      'E_INVALID_ARGUMENT',
      /'StorageClass' must be different for 'Transition' actions in same 'Rule'.*'GLACIER' appears twice/,
    );
    await expectError(
      () => validateLifecycle(rule(tr(30, 'GLACIER_IR') + tr(30, 'GLACIER'))),
      'E_INVALID_ARGUMENT',
      /'Days' in the Transition actions for StorageClass 'GLACIER_IR' and 'GLACIER' must differ/,
    );
    await expectError(
      () => validateLifecycle(rule(tr(30, 'GLACIER') + tr(60, 'STANDARD_IA'))),
      'E_INVALID_ARGUMENT',
      /Transition to StorageClass 'STANDARD_IA' comes after the one to 'GLACIER'.*objects only move down the order/,
    );
    await expectError(
      () => validateLifecycle(rule(ncTr(30, 'DEEP_ARCHIVE') + ncTr(60, 'GLACIER_IR'))),
      'E_INVALID_ARGUMENT',
      /NoncurrentVersionTransition to StorageClass 'GLACIER_IR' comes after the one to 'DEEP_ARCHIVE'/,
    );
  });

  it('a move out of STANDARD_IA less than 30 days after the move into it', async () => {
    await expectError(
      () => validateLifecycle(rule(tr(30, 'STANDARD_IA') + tr(45, 'GLACIER'))),
      'E_INVALID_ARGUMENT',
      /'Days' in the Transition action for StorageClass 'GLACIER' .* must be 30 days more than in the Transition action for StorageClass 'STANDARD_IA'/,
    );
  });

  it('an expiration that is not after every transition', async () => {
    await expectError(
      () => validateLifecycle(rule(tr(90, 'GLACIER') + exp('<Days>60</Days>'))),
      'E_INVALID_ARGUMENT',
      /'Days' in the Expiration action for rule "r" with filter '\(prefix=p\/\)' must be greater than 'Days' in the Transition action/,
    );
    await expectError(
      () =>
        validateLifecycle(rule(trDate('2030-06-01', 'GLACIER') + exp('<Date>2030-01-01</Date>'))),
      'E_INVALID_ARGUMENT',
      /'Date' in the Expiration action .* must be greater than 'Date' in the Transition action/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            ncTr(90, 'GLACIER') +
              '<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration>',
          ),
        ),
      'E_INVALID_ARGUMENT',
      /'NoncurrentDays' in the NoncurrentVersionExpiration action .* must be greater than/,
    );
  });

  it('a long or repeated rule ID, an inverted size range', async () => {
    await expectError(
      () => validateLifecycle(rule(exp('<Days>1</Days>'), `<ID>${'x'.repeat(256)}</ID><Filter/>`)),
      'E_INVALID_ARGUMENT',
      /ID length should not exceed allowed limit of 255/,
    );
    const r = `<Rule><ID>same</ID><Filter/><Status>Enabled</Status>${exp('<Days>1</Days>')}</Rule>`;
    await expectError(
      () => validateLifecycle(lc(r + r)),
      'E_INVALID_ARGUMENT',
      /Rule ID must be unique. Found same ID "same"/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<Days>1</Days>'),
            '<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter>',
          ),
        ),
      'E_INVALID_ARGUMENT',
      /ObjectSizeLessThan \(5\) must be greater than ObjectSizeGreaterThan \(10\)/,
    );
  });
});

describe('parseLifecycleRules: combinations (InvalidRequest, InvalidTag)', () => {
  const v1 = (prefix: string, inner: string, id = prefix): string =>
    `<Rule><ID>${id}</ID><Prefix>${prefix}</Prefix><Status>Enabled</Status>${inner}</Rule>`;
  const v2 = (filter: string, inner: string, id: string): string =>
    `<Rule><ID>${id}</ID><Filter>${filter}</Filter><Status>Enabled</Status>${inner}</Rule>`;

  it('V1 (top-level Prefix) and V2 (Filter) rules are not mixed, as S3 decides', async () => {
    await expectError(
      () =>
        validateLifecycle(
          lc(
            v1('a/', exp('<Days>1</Days>')) + v2('<Prefix>b/</Prefix>', exp('<Days>1</Days>'), 'b'),
          ),
        ),
      'E_INVALID_REQUEST',
      'Base level prefix cannot be used in Lifecycle V2, prefixes can only be used in filter.',
    );
    await expectError(
      () =>
        validateLifecycle(
          lc(
            v1(
              'a/',
              '<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>',
            ),
          ),
        ),
      'E_INVALID_REQUEST',
      'NewerNoncurrentVersions element can only be used in Lifecycle V2.',
    );
  });

  it('V1 prefixes may not overlap for one action type; V2 filters may', async () => {
    await expectError(
      () =>
        validateLifecycle(lc(v1('dir/', exp('<Days>1</Days>')) + v1('di', exp('<Days>5</Days>')))),
      'E_INVALID_REQUEST',
      "Found overlapping prefixes 'dir/' and 'di' for same action type 'Expiration'",
    );
    validateLifecycle(lc(v1('dir/', exp('<Days>1</Days>')) + v1('di', tr(5, 'GLACIER'))));
    validateLifecycle(lc(v1('a/', exp('<Days>1</Days>')) + v1('b/', exp('<Days>5</Days>'))));
    validateLifecycle(
      lc(
        v2('<Prefix>dir/</Prefix>', exp('<Days>1</Days>'), 'x') +
          v2('<Prefix>di</Prefix>', exp('<Days>5</Days>'), 'y'),
      ),
    );
  });

  it('an object-size filter with AbortIncompleteMultipartUpload or ExpiredObjectDeleteMarker', async () => {
    const sized = '<Filter><ObjectSizeGreaterThan>1000</ObjectSizeGreaterThan></Filter>';
    await expectError(
      () =>
        validateLifecycle(
          rule(
            '<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
            `<ID>r</ID>${sized}`,
          ),
        ),
      'E_INVALID_REQUEST',
      /^AbortIncompleteMultipartUpload cannot be specified with Object Size\./,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>'),
            `<ID>r</ID>${sized}`,
          ),
        ),
      'E_INVALID_REQUEST',
      /^ExpiredObjectDeleteMarker cannot be specified with Object Size\./,
    );
  });

  it('an <And> with one condition, and ObjectSizeLessThan 0', async () => {
    await expectError(
      () =>
        validateLifecycle(
          rule(exp('<Days>1</Days>'), '<ID>r</ID><Filter><And><Prefix>a/</Prefix></And></Filter>'),
        ),
      'E_MALFORMED_XML',
      /holds one condition/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<Days>1</Days>'),
            '<ID>r</ID><Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>',
          ),
        ),
      'E_INVALID_ARGUMENT',
      /'ObjectSizeLessThan' should be between 1 and 1099511627776000/,
    );
  });

  it('a rule without any action', async () => {
    await expectError(
      () => validateLifecycle(rule('')),
      'E_INVALID_REQUEST',
      /At least one action needs to be specified in a rule \(rule "r"\)/,
    );
  });

  it('Date and Days mixed between transitions, or between expiration and transitions', async () => {
    await expectError(
      () => validateLifecycle(rule(tr(30, 'GLACIER_IR') + trDate('2030-01-01', 'GLACIER'))),
      'E_INVALID_REQUEST',
      /Found mixed 'Date' and 'Days' based Transition actions/,
    );
    await expectError(
      () => validateLifecycle(rule(tr(30, 'GLACIER') + exp('<Date>2031-01-01</Date>'))),
      'E_INVALID_REQUEST',
      /Found mixed 'Date' and 'Days' based Expiration and Transition actions/,
    );
  });

  it('a tag filter with AbortIncompleteMultipartUpload or ExpiredObjectDeleteMarker', async () => {
    const tagged = '<ID>r</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>';
    await expectError(
      () =>
        validateLifecycle(
          rule(
            '<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
            tagged,
          ),
        ),
      'E_INVALID_REQUEST',
      /Tag-based filter cannot be used with AbortIncompleteMultipartUpload action/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(exp('<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>'), tagged),
        ),
      'E_INVALID_REQUEST',
      /Tag-based filter cannot be used with ExpiredObjectDeleteMarker action/,
    );
  });

  it('bad tags and prefixes in a filter', async () => {
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<Days>1</Days>'),
            `<Filter><Tag><Key>${'k'.repeat(129)}</Key><Value>v</Value></Tag></Filter>`,
          ),
        ),
      'E_INVALID_TAG',
      /must be 1 to 128 characters/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(
            exp('<Days>1</Days>'),
            '<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>',
          ),
        ),
      'E_INVALID_REQUEST',
      /^Duplicate Tag Keys are not allowed\. \(tag key "k" appears twice/,
    );
    await expectError(
      () =>
        validateLifecycle(
          rule(exp('<Days>1</Days>'), `<Filter><Prefix>${'p'.repeat(1025)}</Prefix></Filter>`),
        ),
      'E_INVALID_REQUEST',
      /prefix .* is longer than 1024 bytes/,
    );
  });
});
