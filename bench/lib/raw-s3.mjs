/**
 * A lean S3 client for benchmarks: node:http with a keep-alive agent and AWS Signature V4
 * in headers (UNSIGNED-PAYLOAD, a cached signing key), nothing else. It costs the client
 * a fraction of the CPU of @aws-sdk/client-s3 per request, so that on a 2-core machine the
 * figures say more about the servers than about the client. Path-style addressing; keys
 * are plain ASCII here, so no encoding beyond encodeURIComponent per segment.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

const UNSIGNED = 'UNSIGNED-PAYLOAD';
const hmac = (key, text) => createHmac('sha256', key).update(text).digest();

/** Signs and sends S3 requests to one endpoint. */
export class RawS3 {
  /**
   * @param {{ url: string, credentials: { accessKeyId: string, secretAccessKey: string },
   *   region?: string, maxSockets: number }} options
   */
  constructor({ url, credentials, region = 'us-east-1', maxSockets }) {
    const u = new URL(url);
    this.host = u.host;
    this.hostname = u.hostname;
    this.port = Number(u.port);
    this.credentials = credentials;
    this.region = region;
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
    this.keyDay = '';
    this.signingKey = undefined;
  }

  destroy() {
    this.agent.destroy();
  }

  /** The signed headers of one request. */
  sign(method, path, extra = {}) {
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    if (day !== this.keyDay) {
      const k = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
      this.signingKey = hmac(hmac(hmac(k, this.region), 's3'), 'aws4_request');
      this.keyDay = day;
    }
    const headers = { host: this.host, 'x-amz-content-sha256': UNSIGNED, 'x-amz-date': amzDate };
    const names = Object.keys(headers).sort();
    const canonical = [
      method,
      path,
      '',
      ...names.map((n) => `${n}:${headers[n]}`),
      '',
      names.join(';'),
      UNSIGNED,
    ].join('\n');
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const toSign = [
      'AWS4-HMAC-SHA256',
      amzDate,
      scope,
      createHash('sha256').update(canonical).digest('hex'),
    ].join('\n');
    const signature = createHmac('sha256', this.signingKey).update(toSign).digest('hex');
    return {
      ...headers,
      ...extra,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    };
  }

  /**
   * Sends one request. `body` is a Buffer, an iterable of Buffers (streamed) or undefined;
   * `onData` receives the response body chunks (else they are collected).
   * Resolves { status, headers, body? }; a status of 300 or more rejects.
   */
  request(method, path, { body, length, onData, signal } = {}) {
    const size = Buffer.isBuffer(body) ? body.length : (length ?? 0);
    const headers = this.sign(method, path, { 'content-length': String(size) });
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.hostname, port: this.port, method, path, headers, agent: this.agent, signal },
        (res) => {
          const chunks = [];
          res.on('data', (c) => (onData && res.statusCode < 300 ? onData(c) : chunks.push(c)));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks);
            if (res.statusCode >= 300) {
              const code = /<Code>([^<]*)<\/Code>/.exec(text.toString())?.[1] ?? 'unknown';
              reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${code}`));
            } else resolve({ status: res.statusCode, headers: res.headers, body: text });
          });
        },
      );
      req.on('error', reject);
      if (body === undefined || Buffer.isBuffer(body)) {
        req.end(body);
        return;
      }
      (async () => {
        for (const chunk of body) {
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    });
  }

  createBucket(bucket) {
    return this.request('PUT', `/${bucket}`);
  }

  putObject(bucket, key, body, length) {
    return this.request('PUT', `/${bucket}/${encodeURIComponent(key)}`, { body, length });
  }

  async getObject(bucket, key) {
    return (await this.request('GET', `/${bucket}/${encodeURIComponent(key)}`)).body;
  }

  /**
   * Reads an object over a connection of its own, counting its bytes: the socket reads
   * into one reused 1 MiB buffer and only the response head is parsed, so a large body
   * costs the client little more than the kernel's copy (node:http allocates a buffer and
   * runs its parser for every 64 KiB, about 1.9 s of CPU per GiB on this class of machine,
   * more than the servers being measured spend). Needs a Content-Length in the response.
   */
  countObjectLean(bucket, key, signal) {
    const path = `/${bucket}/${encodeURIComponent(key)}`;
    const headers = this.sign('GET', path);
    const head = [`GET ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    head.push('connection: close', '', '');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    return new Promise((resolve, reject) => {
      let headText = '';
      let length = -1;
      let count = 0;
      let settled = false;
      const finish = (err) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(count);
      };
      const onAbort = () => finish(signal.reason ?? new Error('aborted'));
      const socket = net.connect({
        host: this.hostname,
        port: this.port,
        onread: {
          buffer,
          callback: (nread, buf) => {
            if (length >= 0) {
              count += nread;
            } else {
              headText += buf.latin1Slice(0, nread);
              const end = headText.indexOf('\r\n\r\n');
              if (end < 0) return true;
              const status = Number(/^HTTP\/1\.1 (\d+)/.exec(headText)?.[1]);
              const declared = /\r\ncontent-length: *(\d+)/i.exec(headText.slice(0, end));
              if (status !== 200 || !declared) {
                finish(
                  new Error(`GET ${path}: HTTP ${status}${declared ? '' : ', no Content-Length'}`),
                );
                return false;
              }
              length = Number(declared[1]);
              count = Buffer.byteLength(headText.slice(end + 4), 'latin1');
            }
            if (count >= length)
              finish(
                count === length
                  ? undefined
                  : new Error(`GET ${path}: ${count} bytes, declared ${length}`),
              );
            return true;
          },
        },
      });
      signal?.addEventListener('abort', onAbort);
      socket.on('error', finish);
      socket.on('end', () =>
        finish(new Error(`GET ${path}: connection closed after ${count} of ${length} bytes`)),
      );
      socket.write(head.join('\r\n'));
    });
  }

  deleteObject(bucket, key) {
    return this.request('DELETE', `/${bucket}/${encodeURIComponent(key)}`);
  }
}
