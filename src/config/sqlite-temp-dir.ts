/**
 * Where SQLite writes its temporary files (VACUUM's copy of the database): SQLITE_TMPDIR,
 * else TMPDIR, else /var/tmp, its Unix defaults, which it reads from the environment itself.
 * Read here only to name the directory when it is full (engine/db/compact.ts).
 */
export function sqliteTempDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SQLITE_TMPDIR || env.TMPDIR || '/var/tmp';
}
