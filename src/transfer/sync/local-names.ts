/**
 * File names from a local walk: decoding to keys, and showing hostile names safely.
 * A file name is bytes; an S3 key is UTF-8. Names that are not valid UTF-8 cannot become
 * keys, and names with newlines or control characters must not break a log line.
 */

const strict = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/** The name as a string, and whether it was valid UTF-8 (else U+FFFD replaces bad bytes). */
export function decodeName(name: Buffer): { text: string; valid: boolean } {
  try {
    return { text: strict.decode(name), valid: true };
  } catch {
    return { text: lossy.decode(name), valid: false };
  }
}

/** Bytes as printable ASCII, everything else (and '\') as \xNN. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A path for a message: quoted, with newlines and control characters escaped. */
export function showPath(path: string): string {
  return JSON.stringify(path);
}

/** A path whose last component is raw bytes, for a message. */
export function showRawPath(dir: string, name: Buffer): string {
  return `"${JSON.stringify(dir).slice(1, -1)}/${escapeBytes(name)}"`;
}
