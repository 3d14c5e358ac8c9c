/**
 * PutBucketNotificationConfiguration: stored as sent. Stowage delivers no events, so it
 * checks only that the document is well-formed with the right root element.
 */
import { parseDocument } from './xml-fields.js';

/** The bucket-document validator for `?notification`. */
export function validateNotification(xml: string): void {
  parseDocument(xml, 'NotificationConfiguration');
}
