/**
 * S3's rules for bucket names (the general-purpose bucket rules of the S3 user guide), in
 * one place for the server, which refuses a bad name, and the clients, which refuse to send
 * one (s3:// URLs, declared buckets).
 */
const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'sthree-configurator', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Returns why `name` is not a valid S3 bucket name, or undefined when it is. Follows
 * the general-purpose bucket naming rules of the S3 user guide.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!BUCKET_CHARS.test(name)) {
    return 'may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (name.includes('.-') || name.includes('-.')) return 'must not contain a dot next to a hyphen';
  if (IPV4.test(name)) return 'must not be formatted as an IP address';
  for (const p of RESERVED_PREFIXES)
    if (name.startsWith(p)) return `must not start with the reserved prefix "${p}"`;
  for (const s of RESERVED_SUFFIXES)
    if (name.endsWith(s)) return `must not end with the reserved suffix "${s}"`;
  return undefined;
}
