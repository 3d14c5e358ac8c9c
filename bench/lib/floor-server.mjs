/**
 * The floor for a Node S3 server on this machine: node:http and nothing else. A PUT's body
 * is kept in a Map under the request path and a GET answers it; no authentication, no
 * hashing, no disk, no XML. bench/s3.mjs drives it with the same client as the real servers,
 * so its figures show what Node's HTTP layer alone costs per request here, and what no
 * server written in Node can beat with this client.
 *
 *   node bench/lib/floor-server.mjs      (prints "listening on http://127.0.0.1:<port>")
 */
import http from 'node:http';

const bodies = new Map();

const server = http.createServer((req, res) => {
  if (req.method === 'PUT') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      bodies.set(req.url, Buffer.concat(chunks));
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
    return;
  }
  const body = req.method === 'GET' ? bodies.get(req.url) : undefined;
  if (req.method === 'DELETE') bodies.delete(req.url);
  res.writeHead(body ? 200 : req.method === 'DELETE' ? 204 : 404, {
    'content-length': body?.length ?? 0,
  });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
