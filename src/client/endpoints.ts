/** Small checks on endpoint URLs and regions that store resolution needs. */
import { StowageError, type ErrorCode } from '../errors.js';

/** AWS region names (and the embedded server's `server.region`) look like this. */
const REGION_PATTERN = /^[a-z0-9-]{1,32}$/;

/**
 * Checks an endpoint URL and returns it without a trailing slash.
 *
 * @throws StowageError with `code` (E_USAGE for a flag, E_CONFIG_INVALID for env and files),
 *   naming `origin` (`--endpoint-url`, `env AWS_ENDPOINT_URL`, …) and the value.
 */
export function checkEndpoint(value: string, origin: string, code: ErrorCode): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new StowageError(
      code,
      `${origin}: expected an http:// or https:// URL such as http://127.0.0.1:9000, got "${value}"`,
      { details: { origin, value } },
    );
  }
  if (url.username || url.password) {
    throw new StowageError(code, `${origin}: put credentials in a profile or env, not in the URL`, {
      details: { origin },
    });
  }
  return value.replace(/\/+$/, '');
}

/** Checks a region name such as `us-east-1`. */
export function checkRegion(value: string, origin: string, code: ErrorCode): string {
  if (!REGION_PATTERN.test(value)) {
    throw new StowageError(
      code,
      `${origin}: expected a region name such as us-east-1, got "${value}"`,
      {
        details: { origin, value },
      },
    );
  }
  return value;
}

/** True for AWS's own S3 endpoints, which support virtual-hosted-style addressing. */
export function isAwsEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  const host = new URL(endpoint).hostname.toLowerCase();
  return host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn');
}

/** True when the endpoint is on this machine (where a local `stowage serve` may be). */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  const host = new URL(endpoint).hostname.toLowerCase();
  return (
    host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}
