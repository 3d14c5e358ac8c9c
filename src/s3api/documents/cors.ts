/**
 * PutBucketCors: `<CORSConfiguration>` with 1 to 100 `<CORSRule>`s. The parsed rules are
 * what CORS enforcement (preflight and response headers) evaluates.
 */
import {
  allowOnly,
  charLength,
  elementsOf,
  integerOf,
  invalidArgument,
  invalidRequest,
  malformed,
  parseDocument,
  textOf,
  textsOf,
  type XmlElement,
} from './xml-fields.js';

/** The methods a CORS rule may allow; S3 refuses any other. */
export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;

/** A method a CORS rule may allow. */
export type CorsMethod = (typeof CORS_METHODS)[number];

/** One validated CORS rule. Origins and allowed headers may hold one `*` wildcard each. */
export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: CorsMethod[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** S3's limit on rules per configuration. */
export const MAX_CORS_RULES = 100;
const MAX_ID = 255;
const RULE_TAGS = [
  'ID',
  'AllowedHeader',
  'AllowedMethod',
  'AllowedOrigin',
  'ExposeHeader',
  'MaxAgeSeconds',
];
/** RFC 9110 token characters: what a header name may contain. */
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function wildcards(s: string): number {
  return s.split('*').length - 1;
}

function parseRule(node: XmlElement, index: number): CorsRule {
  const where = `CORSRule ${index + 1}`;
  allowOnly(node, RULE_TAGS, where);
  const id = textOf(node, 'ID', where);
  if (id !== undefined && charLength(id) > MAX_ID) {
    throw invalidArgument(`the ID of ${where} is longer than ${MAX_ID} characters`);
  }
  const methods = textsOf(node, 'AllowedMethod', where);
  if (methods.length === 0) throw malformed(`${where} has no <AllowedMethod>`);
  for (const m of methods) {
    if (!(CORS_METHODS as readonly string[]).includes(m)) {
      throw invalidRequest(
        `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
      );
    }
  }
  const origins = textsOf(node, 'AllowedOrigin', where);
  if (origins.length === 0) throw malformed(`${where} has no <AllowedOrigin>`);
  // An empty <AllowedOrigin> is accepted and matches no origin, as S3 does (Terraform's
  // corsEmptyOrigin acceptance test sends one).
  for (const o of origins) {
    if (wildcards(o) > 1) {
      throw invalidRequest(`AllowedOrigin "${o}" can not have more than one wildcard.`);
    }
  }
  const allowedHeaders = textsOf(node, 'AllowedHeader', where);
  for (const h of allowedHeaders) {
    if (wildcards(h) > 1) {
      throw invalidRequest(`AllowedHeader "${h}" can not have more than one wildcard.`);
    }
  }
  const exposeHeaders = textsOf(node, 'ExposeHeader', where);
  for (const h of exposeHeaders) {
    if (h.includes('*')) {
      throw invalidRequest(
        `ExposeHeader "${h}" contains wildcard. We currently do not support wildcard for ExposeHeader.`,
      );
    }
    if (!HEADER_TOKEN.test(h))
      throw invalidRequest(`ExposeHeader "${h}" contains invalid character.`);
  }
  const maxAgeSeconds = integerOf(node, 'MaxAgeSeconds', where);
  if (maxAgeSeconds !== undefined && maxAgeSeconds < 0) {
    throw malformed(`<MaxAgeSeconds> of ${where} must not be negative, got ${maxAgeSeconds}`);
  }
  const rule: CorsRule = {
    allowedOrigins: origins,
    allowedMethods: methods as CorsMethod[],
    allowedHeaders,
    exposeHeaders,
  };
  if (id !== undefined) rule.id = id;
  if (maxAgeSeconds !== undefined) rule.maxAgeSeconds = maxAgeSeconds;
  return rule;
}

/**
 * Parses and validates a CORS configuration.
 * Throws MalformedXML for structural problems (no rule, a rule without AllowedMethod or
 * AllowedOrigin, a bad MaxAgeSeconds) and InvalidRequest for S3's value rules (an
 * unsupported method, more than one wildcard in an origin or allowed header, a wildcard
 * in an exposed header).
 *
 * @example
 * const rules = parseCorsRules(xml);
 * rules[0]?.allowedOrigins; // ['https://*.ziggie.cloud']
 */
export function parseCorsRules(xml: string): CorsRule[] {
  const doc = parseDocument(xml, 'CORSConfiguration');
  allowOnly(doc, ['CORSRule'], 'CORSConfiguration');
  const rules = elementsOf(doc, 'CORSRule', 'CORSConfiguration');
  if (rules.length === 0) throw malformed('CORSConfiguration must contain at least one <CORSRule>');
  if (rules.length > MAX_CORS_RULES) {
    throw malformed(
      `CORSConfiguration has ${rules.length} rules; the maximum is ${MAX_CORS_RULES}`,
    );
  }
  return rules.map(parseRule);
}

/** The bucket-document validator for `?cors`. */
export function validateCors(xml: string): void {
  parseCorsRules(xml);
}
