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
