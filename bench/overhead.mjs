/**
 * Overhead and throughput: every server against the same zero-latency upstream, at 1 and 50
 * connections, non-streaming and streaming. Servers are interleaved within each cell (and the
 * starting server rotates per repeat) so that machine noise hits all of them alike; each figure is
 * the median over repeats, and differences and ratios are taken between runs of the same repeat.
 */
import { median, runLoad } from './lib/load.mjs';
import { memoryOf, resetPeak, sampleRss } from './lib/servers.mjs';
import { SERVERS, startUpstream } from './lib/targets.mjs';

export const CELLS = [
  { mode: 'json', connections: 1 },
  { mode: 'json', connections: 50 },
  { mode: 'stream', connections: 1 },
  { mode: 'stream', connections: 50 },
];

export async function runOverhead({
  durationS,
  repeats,
  warmupS,
  servers = ['direct', 'proxy', 'rotor', 'rotorInfo', 'portkey'],
  log,
}) {
  const upstream = await startUpstream();
  const started = {};
  try {
    for (const name of servers) started[name] = await SERVERS[name].start(upstream);
    const idleRssMb = {};
    for (const name of servers) {
      const pid = started[name].proc?.pid ?? upstream.proc.pid;
      idleRssMb[name] = memoryOf(pid).rssMb;
    }

    const target = (name, mode) => {
      const s = started[name];
      const r = SERVERS[name].request(mode === 'stream');
      return { url: s.url, body: r.body, headers: { ...r.headers, ...(s.headers ?? {}) } };
    };
    const pidOf = (name) => started[name].proc?.pid ?? upstream.proc.pid;

    log(`overhead: warming up ${servers.length} servers (${warmupS} s each per mode)`);
    for (const mode of ['json', 'stream']) {
      for (const name of servers) {
        await runLoad({ ...target(name, mode), connections: 50, durationS: warmupS });
        // Portkey needs longer to come to speed; nothing else is measured meanwhile.
      }
    }

    const runs = []; // { repeat, mode, connections, server, rps, p50Ms, p99Ms, peakRssMb, ... }
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (let c = 0; c < CELLS.length; c++) {
        const cell = CELLS[c];
        const shift = (repeat + c) % servers.length;
        const order = [...servers.slice(shift), ...servers.slice(0, shift)];
        for (const name of order) {
          const pid = pidOf(name);
          const canReset = resetPeak(pid);
          const sampler = canReset ? undefined : sampleRss(pid);
          const result = await runLoad({ ...target(name, cell.mode), connections: cell.connections, durationS });
          const sampled = sampler?.stop();
          const peakRssMb = canReset ? memoryOf(pid).peakMb : sampled;
          runs.push({ repeat, ...cell, server: name, ...result, peakRssMb });
          log(
            `  r${repeat + 1} ${cell.mode.padEnd(6)} c=${String(cell.connections).padEnd(2)} ${name.padEnd(9)} ` +
              `${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(3)} ms  p99 ${result.p99Ms.toFixed(2)} ms` +
              (result.non2xx || result.errors ? `  non2xx ${result.non2xx} errors ${result.errors}` : ''),
          );
        }
      }
    }
    return { servers, idleRssMb, runs, cells: summarise(servers, runs, repeats) };
  } finally {
    for (const name of servers) await started[name]?.proc?.stop();
    await upstream.proc.stop();
  }
}

/** Medians per (cell, server), plus paired differences and ratios taken within each repeat. */
export function summarise(servers, runs, repeats) {
  return CELLS.map((cell) => {
    const inCell = runs.filter((r) => r.mode === cell.mode && r.connections === cell.connections);
    const of = (server, repeat) => inCell.find((r) => r.server === server && r.repeat === repeat);
    const perRepeat = (fn) =>
      median(
        Array.from({ length: repeats }, (_, i) => i)
          .map(fn)
          .filter((x) => x !== undefined),
      );
    const rows = {};
    for (const server of servers) {
      const mine = inCell.filter((r) => r.server === server);
      rows[server] = {
        rps: median(mine.map((r) => r.rps)),
        p50Ms: median(mine.map((r) => r.p50Ms)),
        p99Ms: median(mine.map((r) => r.p99Ms)),
        peakRssMb: Math.max(...mine.map((r) => r.peakRssMb)),
        failures: mine.reduce((n, r) => n + r.non2xx + r.errors, 0),
        addedP50Ms:
          server === 'direct'
            ? 0
            : perRepeat((i) => {
                const a = of(server, i);
                const d = of('direct', i);
                return a && d ? a.p50Ms - d.p50Ms : undefined;
              }),
      };
    }
    const ratio = (a, b) =>
      servers.includes(a) && servers.includes(b)
        ? perRepeat((i) => {
            const x = of(a, i);
            const y = of(b, i);
            return x && y ? x.rps / y.rps : undefined;
          })
        : Number.NaN;
    return {
      ...cell,
      rows,
      rotorVsProxy: ratio('rotor', 'proxy'),
      rotorVsPortkey: ratio('rotor', 'portkey'),
      rotorAddedVsProxyP50Ms: servers.includes('proxy')
        ? perRepeat((i) => {
            const a = of('rotor', i);
            const p = of('proxy', i);
            return a && p ? a.p50Ms - p.p50Ms : undefined;
          })
        : Number.NaN,
    };
  });
}
