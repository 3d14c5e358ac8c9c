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
