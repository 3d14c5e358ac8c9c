/**
 * The multipart/form-data body of a POST Object (a browser form upload): the fields before
 * the `file` field, then the file itself as a stream. As on S3, the file must be the last
 * field; anything after it is ignored, and only one file is taken.
 */
import busboy from 'busboy';
import { pipeline, Readable, type Readable as ReadableStream } from 'node:stream';
import { StowageError } from '../../errors.js';

/** S3 takes up to 20 KB of form fields besides the file. */
export const MAX_FIELD_BYTES = 20 * 1024;

/** A form read up to its file. */
export interface PostForm {
  /** Fields before the file, by lowercased name (S3's field names ignore case). */
  fields: Map<string, string>;
  /** The file's name as the browser sent it (`${filename}` in the key becomes it). */
  filename: string;
  /** The file's bytes: read it to its end (or destroy it) before the form is done. */
  file: ReadableStream;
  /** Settles once the whole body has been read (after `file` is). */
  done: Promise<void>;
  /** Why the form failed (malformed, cut short), once it has; S3's 4xx to answer. */
  failure(): StowageError | undefined;
}

function invalid(message: string): StowageError {
  return new StowageError('E_INVALID_ARGUMENT', message);
}

/** S3's MalformedPOSTRequest, for a body the multipart parser refuses (cut short …). */
function malformedForm(why: string): StowageError {
  return new StowageError(
    'E_MALFORMED_POST_REQUEST',
    `The body of your POST request is not well-formed multipart/form-data: ${why}`,
  );
}

/** S3's InvalidArgument for a form without a field it needs (`key`, a signature field). */
export function missingField(name: string): StowageError {
  return new StowageError(
    'E_INVALID_ARGUMENT',
    `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
    { details: { argumentName: name } },
  );
}

/**
 * Reads `body` (the request body of a `multipart/form-data` POST with `contentType`) until
 * its `file` field starts. Fails with InvalidArgument for a body that is not a form, has
 * no file, more than 20 KB of fields, or a field after which no file comes.
 */
export function readPostForm(
  body: AsyncIterable<Uint8Array>,
  contentType: string | undefined,
): Promise<PostForm> {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) {
    throw invalid(
      'POST requires exactly one file upload per request, in a multipart/form-data body ' +
        `(Content-Type was ${contentType === undefined ? 'missing' : `"${contentType}"`})`,
    );
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: { fieldSize: MAX_FIELD_BYTES, fieldNameSize: 1024, files: 1, parts: 1000 },
    });
  } catch (err) {
    throw invalid(`the multipart/form-data body cannot be read: ${(err as Error).message}`);
  }
  const fields = new Map<string, string>();
  let fieldBytes = 0;
  let fileSeen = false;
  return new Promise<PostForm>((resolve, reject) => {
    let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
    const done = new Promise<void>((res, rej) => (settle = { resolve: res, reject: rej }));
    // Nobody may be waiting yet; the error reaches whoever awaits `done`.
    done.catch(() => undefined);
    let file: ReadableStream | undefined;
    let failed: StowageError | undefined;
    const failure = (): StowageError | undefined => failed;
    const fail = (err: Error): void => {
      const e = err instanceof StowageError ? err : malformedForm(err.message);
      failed ??= e;
      reject(e);
      settle!.reject(e);
      // Whoever reads the file (the engine) must see the failure, not wait for more bytes.
      file?.destroy(e);
    };
    parser.on('field', (name: string | undefined, value, info) => {
      if (fileSeen) return; // after the file: ignored, as on S3
      if (!name) {
        fail(invalid('a field of the POST form has no name'));
        return;
      }
      fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated || info.nameTruncated || fieldBytes > MAX_FIELD_BYTES) {
        fail(invalid(`the form fields of a POST exceed ${MAX_FIELD_BYTES} bytes`));
        return;
      }
      const key = name.toLowerCase();
      if (key === 'file') {
        // A file part without a filename: its value is the file.
        fileSeen = true;
        resolve({
          fields,
          filename: '',
          file: Readable.from([Buffer.from(value)]),
          done,
          failure,
        });
        return;
      }
      if (fields.has(key)) {
        fail(invalid(`the form field "${name}" appears more than once`));
        return;
      }
      fields.set(key, value);
    });
    parser.on('file', (name, stream, info) => {
      // A form cut short or malformed inside a file ('Unexpected end of form'), or refused
      // before the engine reads its file (a policy, a signature, a missing key) so that the
      // body ends unread, makes busboy emit an error on the file's stream: with no listener
      // that killed the process. It is the form's failure (`failure()`), which the handler
      // answers instead of the engine's report of a body that broke.
      stream.on('error', (err: Error) => fail(err));
      if (fileSeen || name.toLowerCase() !== 'file') {
        stream.resume();
        if (!fileSeen) fail(invalid(`POST takes its file in a field named "file", not "${name}"`));
        return;
      }
      fileSeen = true;
      file = stream;
      resolve({ fields, filename: info.filename ?? '', file: stream, done, failure });
    });
    parser.on('filesLimit', () => undefined); // a second file is ignored
    parser.on('partsLimit', () => fail(invalid('the POST form has too many fields')));
    parser.on('error', (err: Error) => fail(err));
    parser.on('close', () => {
      if (!fileSeen) fail(invalid('POST requires exactly one file upload per request.'));
      settle!.resolve();
    });
    // A body that fails (a client gone mid-file, a bad signature) ends the parser too.
    pipeline(Readable.from(body), parser, (err) => {
      if (err) fail(err);
    });
  });
}
