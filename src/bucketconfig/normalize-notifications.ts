/** `notifications:` as S3's NotificationConfiguration (webhooks as QueueConfigurations). */
import { webhookArn } from '../webhook-arn.js';
import type { NotificationConfiguration, NotificationTargetConfiguration } from './canonical.js';
import type { NotificationTarget } from './schema-notifications.js';

/** The targets sorted into S3's three lists, each with its ARN under the list's key. */
export function notificationConfiguration(
  targets: NotificationTarget[],
): NotificationConfiguration {
  const out: NotificationConfiguration = {};
  for (const t of targets) {
    const rules: NonNullable<NotificationTargetConfiguration['Filter']>['Key']['FilterRules'] = [];
    if (t.prefix !== undefined) rules.push({ Name: 'prefix', Value: t.prefix });
    if (t.suffix !== undefined) rules.push({ Name: 'suffix', Value: t.suffix });
    const base = {
      Id: t.id,
      Events: [...t.events],
      ...(rules.length ? { Filter: { Key: { FilterRules: rules } } } : {}),
    };
    if (t.topicArn) (out.TopicConfigurations ??= []).push({ ...base, TopicArn: t.topicArn });
    else if (t.lambdaFunctionArn)
      (out.LambdaFunctionConfigurations ??= []).push({
        ...base,
        LambdaFunctionArn: t.lambdaFunctionArn,
      });
    else
      (out.QueueConfigurations ??= []).push({
        ...base,
        QueueArn: t.queueArn ?? webhookArn(t.url!),
      });
  }
  return out;
}
