import { describe, expect, it } from 'vitest';
import { expectError } from '../../../test/helpers/expect-error.js';
import { parseCorsRules, validateCors } from './cors.js';

const cors = (rules: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</CORSConfiguration>`;
const rule = (inner: string): string => cors(`<CORSRule>${inner}</CORSRule>`);
const GET_ANY = '<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>';

describe('parseCorsRules: accepted', () => {
  it('parses the seed 000 rule into the typed form', () => {
    const rules = parseCorsRules(
      rule(
        '<AllowedHeader>*</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
          '<AllowedOrigin>https://ziggie.cloud</AllowedOrigin><AllowedOrigin>https://*.ziggie.cloud</AllowedOrigin>' +
          '<AllowedOrigin>http://localhost:3000</AllowedOrigin><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds>',
      ),
    );
    expect(rules).toEqual([
      {
        allowedOrigins: ['https://ziggie.cloud', 'https://*.ziggie.cloud', 'http://localhost:3000'],
        allowedMethods: ['GET', 'HEAD'],
        allowedHeaders: ['*'],
        exposeHeaders: ['ETag'],
        maxAgeSeconds: 3600,
      },
    ]);
  });

  it('accepts the seed 002 origin http://localhost:* and every method, with an ID', () => {
    const [r] = parseCorsRules(
      rule(
        '<ID>dev</ID><AllowedOrigin>http://localhost:*</AllowedOrigin>' +
          ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']
            .map((m) => `<AllowedMethod>${m}</AllowedMethod>`)
            .join('') +
          '<AllowedHeader>x-amz-*</AllowedHeader><MaxAgeSeconds>0</MaxAgeSeconds>',
      ),
    );
    expect(r).toMatchObject({
      id: 'dev',
      allowedOrigins: ['http://localhost:*'],
      maxAgeSeconds: 0,
    });
    expect(r?.allowedMethods).toHaveLength(5);
  });

  it('accepts 100 rules', () => {
    expect(parseCorsRules(cors(`<CORSRule>${GET_ANY}</CORSRule>`.repeat(100)))).toHaveLength(100);
  });
});

describe('parseCorsRules: refused', () => {
  it('an empty body, a wrong root element, XML that is not well-formed', async () => {
    await expectError(() => validateCors(''), 'E_MALFORMED_XML', /empty/);
    await expectError(
      () => validateCors('<Cors/>'),
      'E_MALFORMED_XML',
      /expected a <CORSConfiguration>/,
    );
    await expectError(
      () => validateCors('<CORSConfiguration><CORSRule>'),
      'E_MALFORMED_XML',
      /not well-formed/,
    );
  });

  it('no rule, or more than 100', async () => {
    await expectError(() => validateCors(cors('')), 'E_MALFORMED_XML', /at least one <CORSRule>/);
    await expectError(
      () => validateCors(cors(`<CORSRule>${GET_ANY}</CORSRule>`.repeat(101))),
      'E_MALFORMED_XML',
      /101 rules; the maximum is 100/,
    );
  });

  it('a rule without AllowedMethod or AllowedOrigin', async () => {
    await expectError(
      () => validateCors(rule('<AllowedOrigin>*</AllowedOrigin>')),
      'E_MALFORMED_XML',
      /CORSRule 1 has no <AllowedMethod>/,
    );
    await expectError(
      () => validateCors(rule('<AllowedMethod>GET</AllowedMethod>')),
      'E_MALFORMED_XML',
      /CORSRule 1 has no <AllowedOrigin>/,
    );
  });

  it('accepts an empty <AllowedOrigin>, as S3 does (Terraform sends one)', () => {
    validateCors(rule('<AllowedMethod>GET</AllowedMethod><AllowedOrigin></AllowedOrigin>'));
    validateCors(rule('<AllowedMethod>GET</AllowedMethod><AllowedOrigin/>'));
  });

  it('a method S3 does not support, with S3 own message', async () => {
    for (const m of ['PATCH', 'OPTIONS', 'get']) {
      await expectError(
        () =>
          validateCors(rule(`<AllowedMethod>${m}</AllowedMethod><AllowedOrigin>*</AllowedOrigin>`)),
        'E_INVALID_REQUEST',
        `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
      );
    }
  });

  it('more than one wildcard in an origin or an allowed header; any in an exposed header', async () => {
    await expectError(
      () =>
        validateCors(
          rule(
            '<AllowedMethod>GET</AllowedMethod><AllowedOrigin>https://*.*.example.com</AllowedOrigin>',
          ),
        ),
      'E_INVALID_REQUEST',
      'AllowedOrigin "https://*.*.example.com" can not have more than one wildcard.',
    );
    await expectError(
      () => validateCors(rule(`${GET_ANY}<AllowedHeader>x-*-*</AllowedHeader>`)),
      'E_INVALID_REQUEST',
      /AllowedHeader "x-\*-\*" can not have more than one wildcard/,
    );
    await expectError(
      () => validateCors(rule(`${GET_ANY}<ExposeHeader>*</ExposeHeader>`)),
      'E_INVALID_REQUEST',
      /ExposeHeader "\*" contains wildcard/,
    );
    await expectError(
      () => validateCors(rule(`${GET_ANY}<ExposeHeader>x etag</ExposeHeader>`)),
      'E_INVALID_REQUEST',
      /ExposeHeader "x etag" contains invalid character/,
    );
  });

  it('a MaxAgeSeconds that is not a non-negative whole number', async () => {
    await expectError(
      () => validateCors(rule(`${GET_ANY}<MaxAgeSeconds>an hour</MaxAgeSeconds>`)),
      'E_MALFORMED_XML',
      /<MaxAgeSeconds> in CORSRule 1 must be a whole number, got "an hour"/,
    );
    await expectError(
      () => validateCors(rule(`${GET_ANY}<MaxAgeSeconds>-1</MaxAgeSeconds>`)),
      'E_MALFORMED_XML',
      /must not be negative/,
    );
    // S3's MaxAgeSeconds is a 32-bit Integer.
    validateCors(rule(`${GET_ANY}<MaxAgeSeconds>2147483647</MaxAgeSeconds>`));
    await expectError(
      () => validateCors(rule(`${GET_ANY}<MaxAgeSeconds>2147483648</MaxAgeSeconds>`)),
      'E_MALFORMED_XML',
      /must be a 32-bit whole number/,
    );
  });

  it('unknown elements (the JSON names of aws-cli are not XML names), a long ID', async () => {
    await expectError(
      () => validateCors(rule(`${GET_ANY}<AllowedMethods>GET</AllowedMethods>`)),
      'E_MALFORMED_XML',
      /CORSRule 1 has an unknown element <AllowedMethods>/,
    );
    await expectError(
      () => validateCors(cors(`<CORSRules><CORSRule>${GET_ANY}</CORSRule></CORSRules>`)),
      'E_MALFORMED_XML',
      /unknown element <CORSRules>/,
    );
    await expectError(
      () => validateCors(rule(`<ID>${'i'.repeat(256)}</ID>${GET_ANY}`)),
      'E_INVALID_ARGUMENT',
      /longer than 255 characters/,
    );
  });
});
