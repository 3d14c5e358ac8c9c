/**
 * Who holds an access key: the root key or a named key with IAM-style identity policies.
 * The key directory (src/server/keys/) produces these; authentication finds the secret in
 * them and authorisation evaluates their policies.
 */
import type { PolicyDocument } from './documents/policy.js';

/**
 * The account every key of this server belongs to. Policies name it as `000000000000` or
 * `arn:aws:iam::000000000000:root`; any other account id is another account.
 */
export const STOWAGE_ACCOUNT_ID = '000000000000';

/** One access key and what it may do. */
export interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  /** `root` for the root key; the key's name (an IAM user name) otherwise. */
  name: string;
  /** The root key may do everything but what a bucket policy explicitly denies. */
  root: boolean;
  /** `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`. */
  arn: string;
  /** Identity policies; none means the key may do nothing (unless a bucket policy allows). */
  policies: readonly PolicyDocument[];
}

/** Finds an access key; `undefined` when it does not exist (InvalidAccessKeyId). */
export type IdentityLookup = (accessKeyId: string) => Identity | undefined;

/** The ARN of a key's principal. */
export function principalArn(name: string, root: boolean): string {
  return root
    ? `arn:aws:iam::${STOWAGE_ACCOUNT_ID}:root`
    : `arn:aws:iam::${STOWAGE_ACCOUNT_ID}:user/${name}`;
}
