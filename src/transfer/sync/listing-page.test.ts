import { describe, expect, it } from 'vitest';
import { parseListingPage } from './listing-page.js';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

describe('parseListingPage', () => {
  it('reads the shape stowage serve writes: top-level fields first, entities in the ETag', () => {
    const page = parseListingPage(
      `${HEAD}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>` +
        '<Prefix></Prefix><MaxKeys>2</MaxKeys><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>' +
        '<EncodingType>url</EncodingType><NextContinuationToken>WyJ4Il0</NextContinuationToken>' +
        '<Contents><Key>a%20b</Key><LastModified>2026-12-02T06:11:19.020Z</LastModified>' +
        '<ETag>&quot;e0aa&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>' +
        '<ChecksumType>FULL_OBJECT</ChecksumType><Size>4096</Size><StorageClass>STANDARD</StorageClass></Contents>' +
        '<Contents><Key>c</Key><LastModified>2026-12-02T06:11:20.000Z</LastModified><ETag>&#34;ff-2&#x22;</ETag>' +
        '<Size>0</Size><StorageClass>GLACIER</StorageClass></Contents></ListBucketResult>',
    );
    expect(page).toEqual({
      entries: [
        {
          key: 'a%20b',
          sizeBytes: 4096,
          lastModified: new Date('2026-12-02T06:11:19.020Z'),
          etag: '"e0aa"',
          storageClass: 'STANDARD',
        },
        {
          key: 'c',
          sizeBytes: 0,
          lastModified: new Date('2026-12-02T06:11:20.000Z'),
          etag: '"ff-2"',
          storageClass: 'GLACIER',
        },
      ],
      isTruncated: true,
      nextContinuationToken: 'WyJ4Il0',
      encodingType: 'url',
    });
  });

  it("reads AWS's order (fields after the entries), nested Owner and RestoreStatus, whitespace", () => {
    const page = parseListingPage(
      `${HEAD}<ListBucketResult>\n  <IsTruncated>false</IsTruncated>\n  <Contents>\n` +
        '    <Key>k&amp;&lt;x&gt;&apos;</Key>\n    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n' +
        '    <ETag>"fba9"</ETag>\n    <Size>434234</Size>\n' +
        '    <Owner><ID>75aa</ID><DisplayName>me</DisplayName></Owner>\n' +
        '    <RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus>\n' +
        '    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n  <Name>b</Name>\n' +
        '  <CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\n  <KeyCount>2</KeyCount>\n' +
        '</ListBucketResult>',
    );
    expect(page).toEqual({
      entries: [
        {
          key: "k&<x>'",
          sizeBytes: 434234,
          lastModified: new Date('2009-10-12T17:50:30.000Z'),
          etag: '"fba9"',
          storageClass: 'STANDARD',
        },
      ],
      isTruncated: false,
    });
  });

  it('reads an empty listing and an entry without ETag or class', () => {
    expect(
      parseListingPage(
        '<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>',
      ),
    ).toEqual({ entries: [], isTruncated: false });
    expect(
      parseListingPage(
        '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><ETag/>' +
          '<LastModified>2026-01-01T00:00:00Z</LastModified><Size>1</Size></Contents></ListBucketResult>',
      )?.entries,
    ).toEqual([{ key: 'a', sizeBytes: 1, lastModified: new Date('2026-01-01T00:00:00Z') }]);
  });

  const entry =
    '<Contents><Key>a</Key><LastModified>2026-01-01T00:00:00Z</LastModified><Size>1</Size></Contents>';
  it.each([
    ['another root', '<Error><Code>InternalError</Code></Error>'],
    [
      'CDATA',
      `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key><![CDATA[a]]></Key></Contents></ListBucketResult>`,
    ],
    [
      'a namespace prefix',
      `<s3:ListBucketResult><s3:IsTruncated>false</s3:IsTruncated></s3:ListBucketResult>`,
    ],
    [
      'Contents with attributes',
      `<ListBucketResult><IsTruncated>false</IsTruncated><Contents id="1"><Key>a</Key></Contents></ListBucketResult>`,
    ],
    [
      'an entry without Size',
      `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>`,
    ],
    [
      'a bad size',
      `<ListBucketResult><IsTruncated>false</IsTruncated>${entry.replace('<Size>1', '<Size>-1')}</ListBucketResult>`,
    ],
    [
      'a bad date',
      `<ListBucketResult><IsTruncated>false</IsTruncated>${entry.replace('2026-01-01T00:00:00Z', 'yesterday')}</ListBucketResult>`,
    ],
    [
      'an element inside Key',
      `<ListBucketResult><IsTruncated>false</IsTruncated>${entry.replace('<Key>a', '<Key><b>a</b>')}</ListBucketResult>`,
    ],
    ['no IsTruncated', `<ListBucketResult>${entry}</ListBucketResult>`],
    [
      'IsTruncated not a boolean',
      `<ListBucketResult><IsTruncated>maybe</IsTruncated>${entry}</ListBucketResult>`,
    ],
    [
      'more entries than KeyCount',
      `<ListBucketResult><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>${entry}${entry}</ListBucketResult>`,
    ],
    [
      'an unclosed entry',
      `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>`,
    ],
  ])('leaves %s to the SDK', (_, xml) => {
    expect(parseListingPage(xml)).toBeUndefined();
  });
});
