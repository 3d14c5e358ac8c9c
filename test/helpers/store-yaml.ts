/** The `stores:` section of a test's stowage.yaml, written once for every test. */
import { stringify } from 'yaml';

/** One store of {@link storesYaml}; path-style addressing unless `forcePathStyle: false`. */
export interface TestStore {
  endpoint: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  checksumPolicy?: string;
  partSizeBytes?: number;
  forcePathStyle?: boolean;
}

/**
 * YAML for `stores:` (and `defaultStore:` when given), ending in a newline so that a
 * `buckets:` section can follow.
 *
 * @example
 * writeFileSync(file, storesYaml({ local: { endpoint: t.url, credentials: TEST_KEY } }, 'local') + 'buckets: …');
 */
export function storesYaml(stores: Record<string, TestStore>, defaultStore?: string): string {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, s] of Object.entries(stores)) {
    out[name] = {
      endpoint: s.endpoint,
      ...(s.region ? { region: s.region } : {}),
      forcePathStyle: s.forcePathStyle ?? true,
      ...(s.credentials
        ? {
            accessKeyId: s.credentials.accessKeyId,
            secretAccessKey: s.credentials.secretAccessKey,
          }
        : {}),
      ...(s.checksumPolicy ? { checksumPolicy: s.checksumPolicy } : {}),
      ...(s.partSizeBytes !== undefined ? { partSizeBytes: s.partSizeBytes } : {}),
    };
  }
  return stringify({ stores: out, ...(defaultStore ? { defaultStore } : {}) });
}
