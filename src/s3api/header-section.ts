/**
 * S3's limit of a request's header section: 8 KiB (AWS answers a larger one
 * `400 RequestHeaderSectionTooLarge` with `<MaxSizeAllowed>8192</MaxSizeAllowed>`).
 * node:http stops at 16 KiB, request line included (client-error.ts); between the two, this
 * check gives S3's answer, so that a request that would fail on S3 fails here too.
 */
import { StowageError } from '../errors.js';

/** Bytes of header fields a request may carry. */
export const MAX_HEADER_SECTION_BYTES = 8 * 1024;

/** The error for a header section over the limit. */
export function headerSectionTooLarge(): StowageError {
  return new StowageError(
    'E_INVALID_REQUEST',
    `Your request header section exceeds the maximum allowed size of ${MAX_HEADER_SECTION_BYTES} bytes`,
    {
      s3Code: 'RequestHeaderSectionTooLarge',
      details: { maxSizeBytes: MAX_HEADER_SECTION_BYTES },
    },
  );
}

/**
 * Throws RequestHeaderSectionTooLarge when the header fields (`name: value` and CRLF each,
 * as sent) exceed 8 KiB. Cookie fields are not counted (S3 counts them): a browser sends a
 * Stowage on `localhost` every cookie that other local apps set there.
 */
export function checkHeaderSection(rawHeaders: readonly string[]): void {
  let bytes = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 6 && name.toLowerCase() === 'cookie') continue;
    bytes += name.length + rawHeaders[i + 1]!.length + 4;
  }
  if (bytes > MAX_HEADER_SECTION_BYTES) throw headerSectionTooLarge();
}
