/** Translates a file-system error met during a walk into a StowageError naming the path. */
import { StowageError, toStowageError } from '../../errors.js';
import { showPath } from './local-names.js';

const DENIED = new Set(['EACCES', 'EPERM']);

/** The StowageError for `err` on `path`; `what` says what the path is ("file", "directory"). */
export function localProblem(err: unknown, path: string, what: string): StowageError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code && DENIED.has(code)) {
    return new StowageError(
      'E_LOCAL_UNREADABLE',
      `${what} ${showPath(path)} cannot be read (permission denied)`,
      {
        cause: err,
        details: { path },
      },
    );
  }
  if (code === 'ELOOP') {
    return new StowageError(
      'E_SYMLINK_LOOP',
      `${what} ${showPath(path)}: too many levels of symbolic links`,
      {
        cause: err,
        details: { path },
      },
    );
  }
  if (code === 'EIO' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') {
    return new StowageError(
      'E_LOCAL_UNREADABLE',
      `${what} ${showPath(path)} cannot be read (${code})`,
      {
        cause: err,
        details: { path },
      },
    );
  }
  return toStowageError(err, `${what} ${showPath(path)}`);
}
