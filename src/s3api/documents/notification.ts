/**
 * PutBucketNotificationConfiguration: stored as sent (delivering events is later work).
 * The document must be well-formed with the right root element, each target must name a
 * destination ARN and at least one event, and a stowage webhook target
 * (`arn:stowage:webhook:::URL`, src/webhook-arn.ts) must carry an http(s) URL, as AWS
 * refuses a destination it cannot validate.
 */
import { isWebhookUrl, webhookUrlOf } from '../../webhook-arn.js';
import { children, childText } from '../xml/parse.js';
import { invalidArgument, parseDocument } from './xml-fields.js';

/** Each target list and the element(s) that hold its ARN (old and new spellings). */
const TARGETS = {
  QueueConfiguration: ['Queue', 'QueueArn'],
  TopicConfiguration: ['Topic', 'TopicArn'],
  CloudFunctionConfiguration: ['CloudFunction', 'LambdaFunctionArn'],
} as const;

/** The bucket-document validator for `?notification`. */
export function validateNotification(xml: string): void {
  const doc = parseDocument(xml, 'NotificationConfiguration');
  for (const [tag, arnTags] of Object.entries(TARGETS)) {
    for (const target of children(doc, tag)) {
      const id = childText(target, 'Id');
      const where = `<${tag}>${id ? ` "${id}"` : ''}`;
      const arn = arnTags.map((t) => childText(target, t)).find((v) => v !== undefined);
      if (!arn) throw invalidArgument(`${where} names no destination (${arnTags.join(' or ')})`);
      if (children(target, 'Event').length === 0) throw invalidArgument(`${where} has no <Event>`);
      const url = webhookUrlOf(arn);
      if (url !== undefined && !isWebhookUrl(url)) {
        throw invalidArgument(
          `Unable to validate the following destination configurations: ${where} webhook "${url}" is not an http:// or https:// URL`,
        );
      }
    }
  }
}
