/**
 * The floor for any Node gateway: `node:http` server → parse the JSON body → undici `Pool.request`
 * to the upstream → copy status and body back (piped, so streams pass through as they come).
 * It picks no model beyond replacing `auto` with the primary, retries nothing and checks nothing.
 *
 *   node bench/bare-proxy.mjs --port 8081 --upstream http://127.0.0.1:8090/api/v1 [--model ID]
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    upstream: { type: 'string' },
    model: { type: 'string', default: 'meta-llama/llama-3.3-8b-instruct:free' },
    key: { type: 'string', default: 'sk-bench' },
  },
});
if (!values.upstream) {
  process.stderr.write('bare-proxy: --upstream URL is required\n');
  process.exit(2);
}
const upstream = new URL(values.upstream);
const prefix = upstream.pathname.replace(/\/$/, '');
const pool = new Pool(upstream.origin, { connections: null, keepAliveTimeout: 10_000 });
const upstreamHeaders = { 'content-type': 'application/json', authorization: `Bearer ${values.key}` };

function fail(res, status, message) {
  if (res.headersSent) return res.destroy();
  const body = JSON.stringify({ error: { message, type: 'proxy_error', param: null, code: status } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const parts = [];
  req.on('data', (chunk) => parts.push(chunk));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      return fail(res, 400, 'invalid JSON');
    }
    if (!body.model || body.model === 'auto') body.model = values.model;
    pool
      .request({
        method: 'POST',
        path: `${prefix}/chat/completions`,
        headers: upstreamHeaders,
        body: JSON.stringify(body),
      })
      .then(
        (up) => {
          res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] ?? 'application/json' });
          pipeline(up.body, res, () => {});
        },
        (err) => fail(res, 502, String(err?.message ?? err)),
      );
  });
});

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address();
  process.stdout.write(`bare-proxy listening: http://${values.host}:${port}\n`);
});
const stop = () => {
  server.close(() => pool.close().then(() => process.exit(0)));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
