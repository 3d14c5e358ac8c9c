/** The `Credential` of SigV4: `<access key id>/<yyyymmdd>/<region>/<service>/aws4_request`. */
import { SCOPE_TERMINATOR } from '../../sigv4/signing-key.js';
import type { AuthOptions } from './types.js';

/** A parsed and checked credential. */
export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request`, as it appears in every string to sign. */
  scope: string;
}

/** Reports a problem with the credential; the caller picks the error code and wording. */
export type ScopeFailure = (problem: string, details?: Record<string, unknown>) => never;

/**
 * Parses a credential and checks its scope against the request time and this server
 * (AWS SigV4 "Credential scope"): the date must be the day of `amzDate`, the service `s3`,
 * the terminator `aws4_request`, and the region the configured one (any region when none
 * is configured, so clients that default to us-east-1 work against a local server). With
 * none configured an empty region is taken too, as MinIO and Ceph RGW take it: clients
 * written for them sign with one (libcloud's MinIO driver); S3 refuses it.
 */
export function parseCredentialScope(
  credential: string,
  amzDate: string,
  options: AuthOptions,
  fail: ScopeFailure,
): CredentialScope {
  const parts = credential.split('/');
  const missing = (p: string, i: number): boolean =>
    p === '' && !(i === 2 && options.region === undefined);
  if (parts.length !== 5 || parts.some(missing)) {
    fail(
      `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request", got "${credential}"`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{8}$/.test(date)) {
    fail(`invalid credential date "${date}"; expecting YYYYMMDD`);
  }
  if (date !== amzDate.slice(0, 8)) {
    fail(
      `invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate}"`,
    );
  }
  const expectedService = options.service ?? 's3';
  if (service !== expectedService) {
    fail(`incorrect service "${service}". This endpoint belongs to "${expectedService}"`);
  }
  if (terminator !== SCOPE_TERMINATOR) {
    fail(`incorrect terminal "${terminator}". This endpoint uses "${SCOPE_TERMINATOR}"`);
  }
  if (options.region !== undefined && region !== options.region) {
    fail(`the region '${region}' is wrong; expecting '${options.region}'`, {
      region: options.region,
    });
  }
  return { accessKeyId, date, region, service, scope: parts.slice(1).join('/') };
}
