/**
 * PutBucketNotificationConfiguration: stored as sent (delivering events is later work),
 * once it passes S3's checks (its messages): the right root element; each target names a
 * destination ARN (a stowage webhook target, `arn:stowage:webhook:::URL` in
 * src/webhook-arn.ts, must carry an http(s) URL) and at least one event S3 publishes; a
 * key filter has only `prefix` and `suffix` rules, one of each at most; and no two
 * targets share an event type for keys both filters match ("Configurations overlap").
 */
import { isWebhookUrl, webhookUrlOf } from '../../webhook-arn.js';
import { children, childText, type XmlNode } from '../xml/parse.js';
import { allowOnly, invalidArgument, malformed, parseDocument } from './xml-fields.js';

/** The event types S3 publishes (AWS's "Supported event types"), wildcards included. */
const EVENTS = new Set([
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:ReducedRedundancyLostObject',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:Replication:OperationNotTracked',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
  's3:ObjectAcl:Put',
]);

/** An ARN: `arn:partition:service:region:account:resource`. */
const ARN = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/;

interface Target {
  where: string;
  events: string[];
  prefix: string;
  suffix: string;
}

/** Each target list and the element(s) that hold its ARN (old and new spellings). */
const TARGETS = {
  QueueConfiguration: ['Queue', 'QueueArn'],
  TopicConfiguration: ['Topic', 'TopicArn'],
  CloudFunctionConfiguration: ['CloudFunction', 'LambdaFunctionArn'],
} as const;

/**
 * MalformedXML for a child not in `tags`, as S3's schema refuses it: an element it does
 * not know would otherwise be stored, and a target's misspelt `<Filtre>` silently widen
 * it to every key. An empty element (`<EventBridgeConfiguration/>`) has no children.
 */
function knownChildren(node: XmlNode | undefined, tags: readonly string[], where: string): void {
  if (node === undefined) return;
  if (typeof node === 'string') {
    if (node.trim() !== '')
      throw malformed(`${where} contains text where only elements are allowed`);
    return;
  }
  allowOnly(node, tags, where);
}

/** The bucket-document validator for `?notification`. */
export function validateNotification(xml: string): void {
  const doc = parseDocument(xml, 'NotificationConfiguration');
  knownChildren(
    doc,
    [...Object.keys(TARGETS), 'EventBridgeConfiguration'],
    '<NotificationConfiguration>',
  );
  const bridges = children(doc, 'EventBridgeConfiguration');
  if (bridges.length > 1)
    throw malformed('<NotificationConfiguration> has more than one <EventBridgeConfiguration>');
  knownChildren(bridges[0], [], '<EventBridgeConfiguration>');
  const targets: Target[] = [];
  for (const [tag, arnTags] of Object.entries(TARGETS)) {
    for (const target of children(doc, tag)) {
      const id = childText(target, 'Id');
      const where = `<${tag}>${id ? ` "${id}"` : ''}`;
      // InvocationRole: the legacy CloudFunctionConfiguration's role (AWS's model has it).
      const extra = tag === 'CloudFunctionConfiguration' ? ['InvocationRole'] : [];
      knownChildren(target, ['Id', ...arnTags, 'Event', 'Filter', ...extra], where);
      const arn = arnTags.map((t) => childText(target, t)).find((v) => v !== undefined);
      if (!arn) throw invalidArgument(`${where} names no destination (${arnTags.join(' or ')})`);
      const events = children(target, 'Event').map((e) => (typeof e === 'string' ? e : ''));
      if (events.length === 0) throw invalidArgument(`${where} has no <Event>`);
      const unknown = events.find((e) => !EVENTS.has(e));
      if (unknown !== undefined) {
        throw invalidArgument(
          `The event is not supported for notifications ("${unknown}" in ${where})`,
        );
      }
      const url = webhookUrlOf(arn);
      if (url !== undefined && !isWebhookUrl(url)) {
        throw invalidArgument(
          `Unable to validate the following destination configurations: ${where} webhook "${url}" is not an http:// or https:// URL`,
        );
      }
      if (url === undefined && !ARN.test(arn)) {
        throw invalidArgument(
          `Unable to validate the following destination configurations: ${where} destination "${arn}" is not an ARN`,
        );
      }
      targets.push({ where, events, ...keyFilterOf(target, where) });
    }
  }
  refuseOverlaps(targets);
}

/** The prefix and suffix of a target's `<Filter><S3Key>` ('' when absent). */
function keyFilterOf(target: XmlNode, where: string): { prefix: string; suffix: string } {
  const filter = children(target, 'Filter')[0];
  knownChildren(filter, ['S3Key'], `the <Filter> of ${where}`);
  const key = children(filter, 'S3Key')[0];
  knownChildren(key, ['FilterRule'], `the <S3Key> of ${where}`);
  const rules = children(key, 'FilterRule');
  const out = { prefix: '', suffix: '' };
  const seen = new Set<string>();
  for (const rule of rules) {
    knownChildren(rule, ['Name', 'Value'], `a <FilterRule> of ${where}`);
    const name = (childText(rule, 'Name') ?? '').toLowerCase();
    if (name !== 'prefix' && name !== 'suffix') {
      throw invalidArgument(`filter rule name must be either prefix or suffix (${where})`);
    }
    if (seen.has(name)) {
      throw invalidArgument(`Cannot specify more than one ${name} rule in a filter. (${where})`);
    }
    seen.add(name);
    out[name] = childText(rule, 'Value') ?? '';
  }
  return out;
}

/** Whether two event types can name the same event (`s3:ObjectCreated:*` covers `…:Put`). */
function eventsMeet(a: string, b: string): boolean {
  const family = (e: string): string => (e.endsWith(':*') ? e.slice(0, -1) : e);
  const fa = family(a);
  const fb = family(b);
  return (
    a === b || (a.endsWith(':*') && b.startsWith(fa)) || (b.endsWith(':*') && a.startsWith(fb))
  );
}

/**
 * S3 refuses two targets that would both get one event: a shared event type and filters
 * that a key can match together (one prefix starts the other, one suffix ends the other).
 */
function refuseOverlaps(targets: readonly Target[]): void {
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const a = targets[i]!;
      const b = targets[j]!;
      const shared = a.events.some((x) => b.events.some((y) => eventsMeet(x, y)));
      const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
      const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
      if (shared && prefixes && suffixes) {
        throw invalidArgument(
          `Configurations overlap. Configurations on the same bucket cannot share a common event type. (${a.where} and ${b.where})`,
        );
      }
    }
  }
}

/**
 * `xml` with each key filter rule's `<Name>` spelt as S3 reports it whatever the case it
 * was sent in (`suffix`, `PREFIX` read back as `Suffix`, `Prefix`). Only `<Name>`
 * elements (which a notification document has in its `<FilterRule>`s alone) are touched.
 */
export function normalizeFilterRuleNames(xml: string): string {
  return xml.replace(
    /(<(?:[A-Za-z_][\w.-]*:)?Name(?:\s[^>]*)?>)\s*(prefix|suffix)\s*(<\/(?:[A-Za-z_][\w.-]*:)?Name\s*>)/gi,
    (_m, open: string, name: string, close: string) =>
      `${open}${name[0]!.toUpperCase()}${name.slice(1).toLowerCase()}${close}`,
  );
}
