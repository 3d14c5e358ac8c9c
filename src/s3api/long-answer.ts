/**
 * Answers to requests that may take longer than a client or a proxy waits for a first byte:
 * a CopyObject or UploadPartCopy of gigabytes streams every byte (about 10 s/GiB on a
 * 2-core machine), while botocore gives up after 60 s of silence, as do nginx
 * (`proxy_read_timeout`) and most load balancers. As S3 does, once the work has run
 * `afterMs` the answer starts: 200, the headers the work named when it began, the XML
 * declaration, and then a space every `everyMs`. The document ends it, or an Error
 * document: the SDKs read a 200 of these operations for one (botocore's 200-error handler,
 * aws-sdk-go's copy unmarshaller, the JS SDK's throw200Exceptions) and retry as for a 5xx.
 */
import type { ServerResponse } from 'node:http';
import type { S3Request } from './context.js';
import { XML_DECLARATION } from './xml/build.js';

/** When a long answer starts, and how often it sends a space. */
export interface LongAnswerTimes {
  afterMs: number;
  everyMs: number;
}

/** S3's own pacing is not documented; MinIO sends a space every 10 s, as here. */
export const LONG_ANSWER: LongAnswerTimes = { afterMs: 10_000, everyMs: 10_000 };

const startedEarly = new WeakSet<ServerResponse>();
const cut = new WeakSet<ServerResponse>();

/** True once a long answer has sent its status, headers and XML declaration. */
export function answeredEarly(res: ServerResponse): boolean {
  return startedEarly.has(res);
}

/**
 * Waits for `work`, starting the answer if it runs long. `headers` sets the answer's
 * headers from what the work has told so far, and returns false (or throws) while it
 * cannot yet: the start then waits for the next tick.
 */
export async function answerWhenDone<T>(
  r: S3Request,
  work: Promise<T>,
  headers: () => boolean,
): Promise<T> {
  const { afterMs, everyMs } = r.longAnswer ?? LONG_ANSWER;
  const res = r.res;
  let timer: NodeJS.Timeout | undefined;
  const kept = new Set(res.getHeaderNames());
  // The headers may need what is gone by now (a bucket deleted under the copy): the answer
  // then waits, and the copy fails in its own time with an answer of its own. Nothing a
  // timer throws may escape: it would end the process.
  const ready = (): boolean => {
    try {
      return headers();
    } catch {
      for (const name of res.getHeaderNames()) if (!kept.has(name)) res.removeHeader(name);
      return false;
    }
  };
  const tick = (): void => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) {
      if (!ready()) {
        timer = setTimeout(tick, everyMs);
        return;
      }
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/xml');
      // No Content-Length: chunked over HTTP/1.1, to the connection's close over 1.0.
      res.write(XML_DECLARATION);
      startedEarly.add(res);
    }
    res.write(' ');
    timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, afterMs);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
    if (startedEarly.has(res) && res.destroyed) cut.add(res);
  }
}

/** True when the client went away during a long answer (the work still completed). */
export function cutByClient(res: ServerResponse): boolean {
  return cut.has(res);
}

/** The rest of an XML document whose declaration a long answer has sent. */
export function afterDeclaration(xml: string): string {
  return xml.startsWith(XML_DECLARATION) ? xml.slice(XML_DECLARATION.length) : xml;
}
