/**
 * How a stowage webhook target is written in S3's NotificationConfiguration: a
 * QueueConfiguration whose QueueArn is `arn:stowage:webhook:::` followed by the URL, so the
 * bucket document alone says where events go (MinIO names its webhook targets by ARN too).
 * Shared by the bucket declaration (src/bucketconfig) and the server's document validation.
 */

/** The ARN prefix of a webhook target. */
export const WEBHOOK_ARN_PREFIX = 'arn:stowage:webhook:::';

/** The ARN of the webhook at `url`. */
export function webhookArn(url: string): string {
  return WEBHOOK_ARN_PREFIX + url;
}

/** The URL of a webhook ARN, or undefined when `arn` is not one. */
export function webhookUrlOf(arn: string): string | undefined {
  return arn.startsWith(WEBHOOK_ARN_PREFIX) ? arn.slice(WEBHOOK_ARN_PREFIX.length) : undefined;
}

/** True when `url` is an absolute http:// or https:// URL a webhook can be sent to. */
export function isWebhookUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
