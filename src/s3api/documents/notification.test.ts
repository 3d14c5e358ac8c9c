import { describe, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { validateNotification } from './notification.js';

describe('validateNotification', () => {
  it('accepts any well-formed NotificationConfiguration', () => {
    validateNotification(
      '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
    );
    validateNotification(
      '<NotificationConfiguration><TopicConfiguration><Topic>arn:aws:sns:eu-north-1:1:t</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>',
    );
  });

  it('accepts a stowage webhook target with an http(s) URL', () => {
    validateNotification(
      '<NotificationConfiguration><QueueConfiguration><Id>hook</Id><Queue>arn:stowage:webhook:::https://hooks.example.com/s3?x=1</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>',
    );
  });

  it('refuses a webhook whose URL is not http(s), a target without ARN or without events', async () => {
    await expectError(
      () =>
        validateNotification(
          '<NotificationConfiguration><QueueConfiguration><Id>hook</Id><Queue>arn:stowage:webhook:::ftp://x/</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>',
        ),
      'E_INVALID_ARGUMENT',
      'Unable to validate the following destination configurations: <QueueConfiguration> "hook" webhook "ftp://x/" is not an http:// or https:// URL',
    );
    await expectError(
      () =>
        validateNotification(
          '<NotificationConfiguration><TopicConfiguration><Id>t</Id><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>',
        ),
      'E_INVALID_ARGUMENT',
      '<TopicConfiguration> "t" names no destination (Topic or TopicArn)',
    );
    await expectError(
      () =>
        validateNotification(
          '<NotificationConfiguration><CloudFunctionConfiguration><CloudFunction>arn:aws:lambda:us-east-1:1:function:f</CloudFunction></CloudFunctionConfiguration></NotificationConfiguration>',
        ),
      'E_INVALID_ARGUMENT',
      '<CloudFunctionConfiguration> has no <Event>',
    );
  });

  const doc = (...targets: string[]): string =>
    `<NotificationConfiguration>${targets.join('')}</NotificationConfiguration>`;
  const queue = (events: string[], filter = '', arn = 'arn:aws:sqs:us-east-1:1:q'): string =>
    `<QueueConfiguration><Queue>${arn}</Queue>${events.map((e) => `<Event>${e}</Event>`).join('')}${filter}</QueueConfiguration>`;
  const keyFilter = (...rules: Array<[string, string]>): string =>
    `<Filter><S3Key>${rules.map(([n, v]) => `<FilterRule><Name>${n}</Name><Value>${v}</Value></FilterRule>`).join('')}</S3Key></Filter>`;

  it('refuses an event type S3 does not publish, as S3 does', async () => {
    for (const event of ['s3:ObjectCreated:Bogus', 'bogus', 's3:ObjectCreated', '']) {
      await expectError(
        () => validateNotification(doc(queue(['s3:ObjectRemoved:*', event]))),
        'E_INVALID_ARGUMENT',
        /^The event is not supported for notifications/,
      );
    }
    validateNotification(
      doc(queue(['s3:ObjectCreated:Put', 's3:ObjectRestore:Completed', 's3:LifecycleTransition'])),
    );
  });

  it('refuses a destination that is not an ARN', async () => {
    await expectError(
      () => validateNotification(doc(queue(['s3:ObjectCreated:*'], '', 'not-an-arn'))),
      'E_INVALID_ARGUMENT',
      /^Unable to validate the following destination configurations: .*"not-an-arn" is not an ARN/,
    );
  });

  it('accepts prefix and suffix rules (any case), refuses other names and repeats', async () => {
    validateNotification(
      doc(queue(['s3:ObjectCreated:*'], keyFilter(['Prefix', 'images/'], ['suffix', '.png']))),
    );
    await expectError(
      () => validateNotification(doc(queue(['s3:ObjectCreated:*'], keyFilter(['middle', 'x'])))),
      'E_INVALID_ARGUMENT',
      /^filter rule name must be either prefix or suffix/,
    );
    await expectError(
      () =>
        validateNotification(
          doc(queue(['s3:ObjectCreated:*'], keyFilter(['prefix', 'a/'], ['prefix', 'b/']))),
        ),
      'E_INVALID_ARGUMENT',
      /^Cannot specify more than one prefix rule in a filter\./,
    );
  });

  it('refuses two targets that one event would reach, and accepts ones kept apart by filters', async () => {
    const overlap =
      /^Configurations overlap\. Configurations on the same bucket cannot share a common event type\./;
    for (const [a, b] of [
      [queue(['s3:ObjectCreated:*']), queue(['s3:ObjectCreated:Put'])],
      [
        queue(['s3:ObjectCreated:Put']),
        queue(['s3:ObjectCreated:Put'], keyFilter(['prefix', 'img/'])),
      ],
      [
        queue(['s3:ObjectCreated:*'], keyFilter(['prefix', 'img/'])),
        queue(['s3:ObjectCreated:*'], keyFilter(['prefix', 'img/png/'], ['suffix', '.png'])),
      ],
    ]) {
      await expectError(() => validateNotification(doc(a!, b!)), 'E_INVALID_ARGUMENT', overlap);
    }
    // Different event types, or filters no key matches together, do not overlap.
    validateNotification(doc(queue(['s3:ObjectCreated:*']), queue(['s3:ObjectRemoved:*'])));
    validateNotification(
      doc(
        queue(['s3:ObjectCreated:*'], keyFilter(['prefix', 'img/'])),
        queue(['s3:ObjectCreated:*'], keyFilter(['prefix', 'audio/'])),
      ),
    );
    validateNotification(
      doc(
        queue(['s3:ObjectCreated:*'], keyFilter(['suffix', '.png'])),
        queue(['s3:ObjectCreated:*'], keyFilter(['suffix', '.jpg'])),
      ),
    );
  });

  it('refuses another root element, or XML that is not well-formed', async () => {
    await expectError(
      () => validateNotification('<Notification/>'),
      'E_MALFORMED_XML',
      /expected a <NotificationConfiguration>/,
    );
    await expectError(
      () => validateNotification('<NotificationConfiguration>'),
      'E_MALFORMED_XML',
      /not well-formed/,
    );
  });
});

describe('validateNotification: elements S3 does not know are MalformedXML', () => {
  const q = (inner: string) =>
    `<QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:eu-north-1:1:q</Queue><Event>s3:ObjectCreated:*</Event>${inner}</QueueConfiguration>`;
  const doc = (inner: string) => `<NotificationConfiguration>${inner}</NotificationConfiguration>`;

  it('accepts every element the SDKs send, filters and EventBridge included', () => {
    validateNotification(
      doc(
        q(
          '<Filter><S3Key><FilterRule><Name>prefix</Name><Value>img/</Value></FilterRule><FilterRule><Name>suffix</Name><Value>.png</Value></FilterRule></S3Key></Filter>',
        ) +
          '<EventBridgeConfiguration/><CloudFunctionConfiguration><Id>f</Id><CloudFunction>arn:aws:lambda:eu-north-1:1:function:f</CloudFunction><InvocationRole>arn:aws:iam::1:role/r</InvocationRole><Event>s3:ObjectRemoved:*</Event></CloudFunctionConfiguration>',
      ),
    );
  });

  it('refuses unknown elements at every level, text inside EventBridge, and two EventBridges', async () => {
    const refused: [string, RegExp][] = [
      [doc('<Foo/>'), /<NotificationConfiguration> has an unknown element <Foo>/],
      [doc(q('<Extra>1</Extra>')), /<QueueConfiguration> "q" has an unknown element <Extra>/],
      [doc(q('<Filter><Foo/></Filter>')), /the <Filter> of .* has an unknown element <Foo>/],
      [
        doc(q('<Filter><S3Key><Rule/></S3Key></Filter>')),
        /the <S3Key> of .* has an unknown element <Rule>/,
      ],
      [
        doc(
          q(
            '<Filter><S3Key><FilterRule><Name>prefix</Name><Valeur>x</Valeur></FilterRule></S3Key></Filter>',
          ),
        ),
        /a <FilterRule> of .* has an unknown element <Valeur>/,
      ],
      [doc('<EventBridgeConfiguration>on</EventBridgeConfiguration>'), /contains text/],
      [doc('<EventBridgeConfiguration><A/></EventBridgeConfiguration>'), /unknown element <A>/],
      [
        doc('<EventBridgeConfiguration/><EventBridgeConfiguration/>'),
        /more than one <EventBridgeConfiguration>/,
      ],
    ];
    for (const [xml, message] of refused) {
      await expectError(() => validateNotification(xml), 'E_MALFORMED_XML', message);
    }
  });
});
