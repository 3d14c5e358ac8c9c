import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStowageError, type ErrorCode } from '../../errors.js';
import { decodeAwsChunked, type AwsChunkedOptions, type DecodedBody } from './aws-chunked.js';
import type { SigningContext } from './types.js';

// An encoder written from the AWS documentation ("Transferring payload in multiple chunks",
// "Including trailing headers"), independent of the decoder's own helpers.
const hmac = (key: Buffer | string, data: string) =>
  createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function signingContext(
  secret: string,
  amzDate: string,
  region: string,
  seed: string,
): SigningContext {
  const date = amzDate.slice(0, 8);
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
  return {
    signingKey: key,
    scope: `${date}/${region}/s3/aws4_request`,
    amzDate,
    seedSignature: seed,
  };
}

interface Encoding {
  chunkSize: number;
  signing?: SigningContext;
  trailers?: [string, string][];
  signTrailer?: boolean;
}

function encode(data: Buffer, e: Encoding): Buffer {
  const out: (Buffer | string)[] = [];
  let previous = e.signing?.seedSignature ?? '';
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += e.chunkSize) chunks.push(data.subarray(i, i + e.chunkSize));
  chunks.push(Buffer.alloc(0));
  for (const chunk of chunks) {
    if (e.signing) {
      const stringToSign = [
        'AWS4-HMAC-SHA256-PAYLOAD',
        e.signing.amzDate,
        e.signing.scope,
        previous,
        sha256(''),
        sha256(chunk),
      ].join('\n');
      previous = hmac(e.signing.signingKey, stringToSign).toString('hex');
      out.push(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`);
    } else {
      out.push(`${chunk.length.toString(16)}\r\n`);
    }
    if (chunk.length > 0) out.push(chunk, '\r\n');
  }
  for (const [name, value] of e.trailers ?? []) out.push(`${name}:${value}\r\n`);
  if (e.signTrailer && e.signing) {
    const canonical = (e.trailers ?? []).map(([n, v]) => `${n}:${v}\n`).join('');
    const stringToSign = [
      'AWS4-HMAC-SHA256-TRAILER',
      e.signing.amzDate,
      e.signing.scope,
      previous,
      sha256(canonical),
    ].join('\n');
    out.push(
      `x-amz-trailer-signature:${hmac(e.signing.signingKey, stringToSign).toString('hex')}\r\n`,
    );
  }
  out.push('\r\n');
  return Buffer.concat(out.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

async function* pieces(wire: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < wire.length; i += size) yield wire.subarray(i, i + size);
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

async function failure(decoded: DecodedBody): Promise<{ code: ErrorCode; message: string }> {
  try {
    await collect(decoded.body);
  } catch (error) {
    if (isStowageError(error)) return error;
    throw error;
  }
  throw new Error('expected the body to fail');
}

const SIGNING = signingContext('s3cr3t', '20260115T123045Z', 'us-east-1', sha256('seed'));
const DATA = randomBytes(200_000);

const MODES: [AwsChunkedOptions['mode'], Encoding][] = [
  ['streaming-signed', { chunkSize: 65_536, signing: SIGNING }],
  [
    'streaming-signed-trailer',
    {
      chunkSize: 65_536,
      signing: SIGNING,
      trailers: [['x-amz-checksum-crc32', 'AAAAAA==']],
      signTrailer: true,
    },
  ],
  [
    'streaming-unsigned-trailer',
    { chunkSize: 65_536, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] },
  ],
];

function decode(
  wire: Buffer,
  mode: AwsChunkedOptions['mode'],
  extra: Partial<AwsChunkedOptions> = {},
  pieceSize = 8192,
) {
  return decodeAwsChunked(pieces(wire, pieceSize), {
    mode,
    signing: mode === 'streaming-unsigned-trailer' ? undefined : SIGNING,
    trailerNames: mode === 'streaming-signed' ? undefined : ['x-amz-checksum-crc32'],
    decodedLength: DATA.length,
    ...extra,
  });
}

describe('decodeAwsChunked: the examples of the AWS documentation', () => {
  const data = Buffer.alloc(66_560, 'a');
  const doc = (seed: string) =>
    signingContext(
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      '20130524T000000Z',
      'us-east-1',
      seed,
    );

  it('PUT Object in chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const wire = Buffer.concat([
      Buffer.from(
        '10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n',
      ),
      data.subarray(0, 65_536),
      Buffer.from(
        '\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n',
      ),
      data.subarray(65_536),
      Buffer.from(
        '\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n',
      ),
    ]);
    expect(wire.length).toBe(66_824);
    for (const size of [1, 7, 4096, 70_000]) {
      const decoded = decodeAwsChunked(pieces(wire, size), {
        mode: 'streaming-signed',
        signing: doc('4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'),
        decodedLength: 66_560,
      });
      expect((await collect(decoded.body)).equals(data)).toBe(true);
      expect(await decoded.trailers).toEqual({});
    }
  });

  it('PUT Object with a signed trailing checksum (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', async () => {
    const wire = Buffer.concat([
      Buffer.from(
        '10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n',
      ),
      data.subarray(0, 65_536),
      Buffer.from(
        '\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n',
      ),
      data.subarray(65_536),
      Buffer.from(
        '\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n' +
          'x-amz-checksum-crc32c:sOO8/Q==\r\n' +
          'x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n',
      ),
    ]);
    const decoded = decodeAwsChunked(pieces(wire, 1000), {
      mode: 'streaming-signed-trailer',
      signing: doc('106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e'),
      decodedLength: 66_560,
      trailerNames: ['x-amz-checksum-crc32c'],
    });
    expect((await collect(decoded.body)).equals(data)).toBe(true);
    expect(await decoded.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  });
});

describe('decodeAwsChunked: round trips through the independent encoder', () => {
  it.each(MODES)('%s, whatever the piece boundaries', async (mode, encoding) => {
    const wire = encode(DATA, encoding);
    for (const size of [1, 2, 3, 85, 8192, 65_538, wire.length]) {
      if (size === 1 && mode !== 'streaming-unsigned-trailer') continue; // slow, and covered below
      const decoded = decode(wire, mode, {}, size);
      expect((await collect(decoded.body)).equals(DATA), `pieces of ${size}`).toBe(true);
      expect(await decoded.trailers).toEqual(
        mode === 'streaming-signed' ? {} : { 'x-amz-checksum-crc32': 'AAAAAA==' },
      );
    }
  });

  it('decodes an empty body, many tiny chunks, and one large chunk', async () => {
    const empty = decode(
      encode(Buffer.alloc(0), { chunkSize: 1, signing: SIGNING }),
      'streaming-signed',
      {
        decodedLength: 0,
      },
    );
    expect((await collect(empty.body)).length).toBe(0);
    const tiny = DATA.subarray(0, 5000);
    const many = decode(encode(tiny, { chunkSize: 3, signing: SIGNING }), 'streaming-signed', {
      decodedLength: 5000,
    });
    expect((await collect(many.body)).equals(tiny)).toBe(true);
    const large = decode(
      encode(DATA, { chunkSize: DATA.length, signing: SIGNING }),
      'streaming-signed',
    );
    expect((await collect(large.body)).equals(DATA)).toBe(true);
  });

  it('accepts upper-case hex sizes, no decoded length, and a trailer value ending in LF', async () => {
    const wire = Buffer.from('A\r\n0123456789\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\n\r\n\r\n');
    const decoded = decodeAwsChunked(pieces(wire, 4), {
      mode: 'streaming-unsigned-trailer',
      trailerNames: [' X-Amz-Checksum-CRC32 '],
    });
    expect((await collect(decoded.body)).toString()).toBe('0123456789');
    expect(await decoded.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
  });
});

describe('decodeAwsChunked: streaming with bounded memory', () => {
  it('passes an 8 MiB chunk on piece by piece, without waiting for the whole chunk', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    const wire = encode(big, { chunkSize: big.length, signing: SIGNING });
    let pulled = 0;
    async function* counting() {
      for (let i = 0; i < wire.length; i += 65_536) {
        pulled++;
        yield wire.subarray(i, i + 65_536);
      }
    }
    const decoded = decodeAwsChunked(counting(), {
      mode: 'streaming-signed',
      signing: SIGNING,
      decodedLength: big.length,
    });
    let first = -1;
    let total = 0;
    for await (const piece of decoded.body) {
      if (first < 0) first = pulled;
      expect(piece.length).toBeLessThanOrEqual(65_536);
      total += piece.length;
    }
    expect(first).toBeLessThanOrEqual(3);
    expect(total).toBe(big.length);
  });

  it('decodes 64 MiB in 8 MiB signed chunks quickly', async () => {
    const block = randomBytes(8 * 1024 * 1024);
    const data = Buffer.concat(Array.from({ length: 8 }, () => block));
    const wire = encode(data, { chunkSize: block.length, signing: SIGNING });
    const started = performance.now();
    const decoded = decode(wire, 'streaming-signed', { decodedLength: data.length }, 65_536);
    let total = 0;
    for await (const piece of decoded.body) total += piece.length;
    expect(total).toBe(data.length);
    // SHA-256 of 64 MiB dominates; a per-byte JS loop would take many seconds.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('decodeAwsChunked: every violation throws from the body, before its last byte', () => {
  const signedWire = encode(DATA, { chunkSize: 65_536, signing: SIGNING });
  const text = (wire: Buffer) => wire.toString('latin1');
  const wireOf = (s: string) => Buffer.from(s, 'latin1');

  it('a changed data byte, a changed or missing signature, reordered chunks: SignatureDoesNotMatch', async () => {
    const flipped = Buffer.from(signedWire);
    flipped[200] = (flipped[200] ?? 0) ^ 1;
    const wire = text(signedWire);
    // Each full chunk is `10000;chunk-signature=<64 hex>\r\n` (88 bytes), its data and CRLF.
    const frame = 88 + 65_536 + 2;
    const badSig = wireOf(`${wire.slice(0, 22)}${wire[22] === 'a' ? 'b' : 'a'}${wire.slice(23)}`);
    const noSig = wireOf(wire.slice(0, 5) + wire.slice(5 + 17 + 64));
    const lastSig = wire.lastIndexOf('chunk-signature=') + 16;
    const badFinal = wireOf(wire.slice(0, lastSig) + '0'.repeat(64) + wire.slice(lastSig + 64));
    const swapped = wireOf(
      wire.slice(frame, 2 * frame) + wire.slice(0, frame) + wire.slice(2 * frame),
    );
    for (const tampered of [flipped, badSig, noSig, badFinal, swapped]) {
      expect((await failure(decode(tampered, 'streaming-signed'))).code).toBe(
        'E_SIGNATURE_DOES_NOT_MATCH',
      );
    }
  });

  it('a wrong, missing or misplaced trailer signature, or a changed trailer: SignatureDoesNotMatch', async () => {
    const [mode, encoding] = MODES[1] ?? MODES[0]!;
    const wire = text(encode(DATA, encoding));
    const tampered = [
      wire.replace('x-amz-checksum-crc32:AAAAAA==', 'x-amz-checksum-crc32:AAAAAB=='),
      wire.replace(/x-amz-trailer-signature:[0-9a-f]{64}\r\n/, ''),
      wire.replace(/x-amz-trailer-signature:[0-9a-f]/, 'x-amz-trailer-signature:g'),
    ];
    for (const w of tampered) {
      expect((await failure(decode(wireOf(w), mode))).code, w.slice(-150)).toBe(
        'E_SIGNATURE_DOES_NOT_MATCH',
      );
    }
  });

  it('bad sizes: InvalidChunkSizeError', async () => {
    for (const header of ['zz', '', '-1', ' 10', '12345678901234', 'x'.repeat(5000)]) {
      const wire = Buffer.from(`${header}\r\n0123456789\r\n0\r\n\r\n`);
      const error = await failure(
        decodeAwsChunked(pieces(wire, 7), { mode: 'streaming-unsigned-trailer' }),
      );
      expect(error.code, header.slice(0, 20)).toBe('E_INVALID_CHUNK_SIZE');
    }
  });

  it('framing errors: InvalidRequest', async () => {
    const unsigned = (s: string, names: string[] = ['x-amz-checksum-crc32']) =>
      decodeAwsChunked(pieces(Buffer.from(s), 5), {
        mode: 'streaming-unsigned-trailer',
        trailerNames: names,
      });
    const cases = [
      unsigned('5\r\nhelloXX0\r\nx-amz-checksum-crc32:A\r\n\r\n'), // no CRLF after data
      unsigned('5;chunk-signature=00\r\nhello\r\n0\r\nx-amz-checksum-crc32:A\r\n\r\n'), // extension
      unsigned('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:A\r\nx-amz-meta-evil:1\r\n\r\n'), // undeclared
      unsigned('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:A\r\nx-amz-checksum-crc32:B\r\n\r\n'), // twice
      unsigned('5\r\nhello\r\n0\r\nno colon here\r\n\r\n'),
      unsigned('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:A\r\n\r\nextra'), // after the end
      unsigned(`5\r\nhello\r\n0\r\n${'x-amz-checksum-crc32:A\r\n'.repeat(20)}\r\n`),
      decode(
        wireOf(text(encode(DATA, { ...MODES[0]![1], trailers: [['x-amz-checksum-crc32', 'A']] }))),
        'streaming-signed',
      ),
      decode(signedWire, 'streaming-signed', { decodedLength: DATA.length - 1 }),
    ];
    for (const decoded of cases) expect((await failure(decoded)).code).toBe('E_INVALID_REQUEST');
  });

  it('a truncated body at any point, a short decoded length, a missing trailer: IncompleteBody', async () => {
    const wire = encode(DATA.subarray(0, 300), {
      chunkSize: 100,
      signing: SIGNING,
      trailers: [['x-amz-checksum-crc32', 'AAAAAA==']],
      signTrailer: true,
    });
    for (let cut = 0; cut < wire.length; cut++) {
      const decoded = decode(
        wire.subarray(0, cut),
        'streaming-signed-trailer',
        { decodedLength: 300 },
        64,
      );
      expect((await failure(decoded)).code, `cut at ${cut}`).toBe('E_INCOMPLETE_BODY');
    }
    expect(
      (await failure(decode(signedWire, 'streaming-signed', { decodedLength: DATA.length + 1 })))
        .code,
    ).toBe('E_INCOMPLETE_BODY');
    const missing = decodeAwsChunked(pieces(Buffer.from('5\r\nhello\r\n0\r\n\r\n'), 3), {
      mode: 'streaming-unsigned-trailer',
      trailerNames: ['x-amz-checksum-crc32'],
    });
    expect((await failure(missing)).code).toBe('E_INCOMPLETE_BODY');
  });

  it('a consumer that stops at the declared length has not been given every byte', async () => {
    const wire = text(signedWire);
    const lastSig = wire.lastIndexOf('chunk-signature=') + 16;
    const badFinal = wireOf(wire.slice(0, lastSig) + '0'.repeat(64) + wire.slice(lastSig + 64));
    let received = 0;
    await expect(
      (async () => {
        for await (const piece of decode(badFinal, 'streaming-signed').body) {
          received += piece.length;
          if (received === DATA.length) return 'complete';
        }
        return 'ended';
      })(),
    ).rejects.toMatchObject({ code: 'E_SIGNATURE_DOES_NOT_MATCH' });
    expect(received).toBeLessThan(DATA.length);
  });

  it('signed modes need the signing context', () => {
    expect(() => decodeAwsChunked(pieces(signedWire, 10), { mode: 'streaming-signed' })).toThrow(
      /signing context/,
    );
  });
});

describe('decodeAwsChunked: trailers', () => {
  it('rejects with the body error, and an unobserved rejection is harmless', async () => {
    const decoded = decode(Buffer.from('zz\r\n'), 'streaming-unsigned-trailer');
    const error = await failure(decoded);
    await expect(decoded.trailers).rejects.toBe(error);
    // Nobody awaits these trailers: vitest fails the run on an unhandled rejection.
    await failure(decode(Buffer.from('zz\r\n'), 'streaming-unsigned-trailer'));
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('rejects when the body is abandoned, and leaves the source to its owner', async () => {
    let closed = false;
    async function* source() {
      try {
        yield Buffer.from('5\r\nhello\r\n5\r\nworld\r\n');
        yield Buffer.from('0\r\n\r\n');
      } finally {
        closed = true;
      }
    }
    const decoded = decodeAwsChunked(source(), { mode: 'streaming-unsigned-trailer' });
    for await (const piece of decoded.body) {
      expect(piece.toString()).toBe('hello');
      break;
    }
    await expect(decoded.trailers).rejects.toMatchObject({ code: 'E_INCOMPLETE_BODY' });
    // Ending a node:http request before its body is read destroys the socket, and the
    // server could not answer; the owner of the request drains or closes it.
    expect(closed).toBe(false);
  });
});
