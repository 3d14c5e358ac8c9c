/** Line and block reads over a byte stream, for framing formats such as aws-chunked. */
import { asBuffer } from './pieces.js';

const CRLF = Buffer.from('\r\n');

/** What {@link ByteReader.readLine} found instead of a line. */
export type LineProblem = 'eof' | 'too-long';

/**
 * Reads CRLF-terminated lines and blocks of bytes from an async iterator of pieces.
 * Blocks are returned as views of the pieces (no copy); only a line split across two
 * pieces is copied, and a line longer than its limit fails instead of growing the
 * buffer, so memory stays bounded by one piece plus one line.
 */
export class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Appends the next non-empty piece; false at the end of the stream. */
  private async pull(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const piece = asBuffer(next.value);
      if (piece.length === 0) continue;
      this.pending = this.pending.length === 0 ? piece : Buffer.concat([this.pending, piece]);
      return true;
    }
    return false;
  }

  /**
   * The next line without its CRLF; `'too-long'` when no CRLF comes within `maxBytes`
   * (so `readLine(0)` checks that the next two bytes are CRLF), `'eof'` when the stream
   * ends first.
   */
  async readLine(maxBytes: number): Promise<Buffer | LineProblem> {
    for (;;) {
      const window = this.pending.subarray(0, maxBytes + CRLF.length);
      const at = window.indexOf(CRLF);
      if (at >= 0) {
        const line = this.pending.subarray(0, at);
        this.pending = this.pending.subarray(at + CRLF.length);
        return line;
      }
      if (window.length === maxBytes + CRLF.length) return 'too-long';
      if (!(await this.pull())) return 'eof';
    }
  }

  /** Up to `maxBytes` of the next bytes (at least one), or undefined at the end. */
  async readUpTo(maxBytes: number): Promise<Buffer | undefined> {
    if (this.pending.length === 0 && !(await this.pull())) return undefined;
    const block = this.pending.subarray(0, maxBytes);
    this.pending = this.pending.subarray(block.length);
    return block;
  }

  /** True when no bytes are left. */
  async atEnd(): Promise<boolean> {
    return this.pending.length === 0 && !(await this.pull());
  }

  /**
   * Drops what is buffered. The source itself is left as it is, never ended (see
   * `borrowPieces` in pieces.ts for why).
   */
  release(): void {
    this.pending = Buffer.alloc(0);
  }
}
