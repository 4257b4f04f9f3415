/**
 * Memory with many open streams: N streaming requests at once through a gateway whose upstream
 * streams slowly (first token after 1 s, then 10 tokens/s for 3 s), so all N are open together.
 * The gateway's RSS is read from /proc while they are all open, and its peak (VmHWM) over the run.
 */
import { Pool } from 'undici';
import { memoryOf, PRIMARY, resetPeak, sampleRss } from './lib/servers.mjs';
import { SERVERS, startUpstream } from './lib/targets.mjs';

const SLOW_STREAMS = `
completionTokens: 30
latencyScale: 1
account:
  freeLimits: false
models:
  - id: ${PRIMARY}
    ttftMs: 1000
    tokensPerSecond: 10
`;

export async function runStreamsRss({ streams, servers = ['rotor', 'proxy', 'portkey'], log }) {
  const upstream = await startUpstream({ scenario: SLOW_STREAMS });
  const results = {};
  try {
    for (const name of servers) {
      const server = await SERVERS[name].start(upstream);
      try {
        results[name] = await openMany(server, SERVERS[name].request(true), streams);
        log(
          `  ${name.padEnd(8)} ${streams} streams: ${results[name].completed} complete, ` +
            `RSS idle ${results[name].idleRssMb.toFixed(0)} MB, all open ${results[name].rssAllOpenMb.toFixed(0)} MB, ` +
            `peak ${results[name].peakRssMb.toFixed(0)} MB`,
        );
      } finally {
        await server.proc?.stop();
      }
    }
  } finally {
    await upstream.proc.stop();
  }
  return { streams, upstream: 'first token 1 s, 30 tokens at 10 tokens/s (~4 s per stream)', results };
}

async function openMany(server, request, n) {
  const pid = server.proc.pid;
  const url = new URL(server.url);
  const idleRssMb = memoryOf(pid).rssMb;
  const canReset = resetPeak(pid);
  const sampler = sampleRss(pid, 50);
  const pool = new Pool(url.origin, { connections: n, pipelining: 1 });
  const body = JSON.stringify(request.body);
  const headers = { 'content-type': 'application/json', ...request.headers, ...(server.headers ?? {}) };
  let firstChunks = 0;
  let allOpen;
  let rssAllOpenMb = Number.NaN;
  const started = Date.now();
  const one = async () => {
    const res = await pool.request({ method: 'POST', path: url.pathname, headers, body });
    let text = '';
    let counted = false;
    for await (const chunk of res.body) {
      text += chunk.toString('utf8');
      if (!counted && text.includes('data: {')) {
        counted = true;
        if (++firstChunks === n) {
          allOpen = Date.now() - started;
          rssAllOpenMb = memoryOf(pid).rssMb;
        }
      }
    }
    return res.statusCode === 200 && text.includes('data: [DONE]');
  };
  const outcomes = await Promise.allSettled(Array.from({ length: n }, one));
  await pool.close();
  const sampledMax = sampler.stop();
  const completed = outcomes.filter((o) => o.status === 'fulfilled' && o.value).length;
  return {
    completed,
    failed: n - completed,
    allOpenAfterMs: allOpen ?? null,
    durationMs: Date.now() - started,
    idleRssMb,
    rssAllOpenMb,
    peakRssMb: canReset ? memoryOf(pid).peakMb : sampledMax,
  };
}
