/** rclone (Debian's /usr/bin/rclone) pointed at a test server, with no config file of its own. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_KEY } from './server.js';

/** Debian's rclone. */
export const RCLONE = '/usr/bin/rclone';

/**
 * The environment of an rclone run with `home` as HOME, an empty config file there, and a
 * remote `stw:` for the S3 server at `endpoint` with the root test key (path style).
 */
export function rcloneEnv(endpoint: string, home: string): Record<string, string> {
  const config = path.join(home, 'rclone.conf');
  writeFileSync(config, '');
  return {
    HOME: home,
    RCLONE_CONFIG: config,
    RCLONE_CONFIG_STW_TYPE: 's3',
    RCLONE_CONFIG_STW_PROVIDER: 'Other',
    RCLONE_CONFIG_STW_ENDPOINT: endpoint,
    RCLONE_CONFIG_STW_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    RCLONE_CONFIG_STW_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    RCLONE_CONFIG_STW_REGION: 'us-east-1',
    RCLONE_CONFIG_STW_FORCE_PATH_STYLE: 'true',
  };
}
