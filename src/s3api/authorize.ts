/**
 * Authorisation. Today: the root key may do everything and nobody else anything ("deny
 * what no policy allows"). Access keys with identity policies and bucket policies plug in
 * here.
 */
import { StowageError } from '../errors.js';
import type { Authorize } from './front.js';

/** Options of createAuthorize. */
export interface AuthorizeOptions {
  rootAccessKeyId: string;
}

/** Builds the authorisation check of the front end. */
export function createAuthorize(options: AuthorizeOptions): Authorize {
  return (principal, route) => {
    if (principal.kind === 'key' && principal.accessKeyId === options.rootAccessKeyId) return;
    throw new StowageError('E_ACCESS_DENIED', `access denied to ${route.operation}`, {
      details: route.bucket ? { bucket: route.bucket } : {},
    });
  };
}
