/**
 * Overhead and throughput: every server against the same zero-latency upstream, at 1 and 50
 * connections, non-streaming and streaming. Servers are interleaved within each cell (and the
 * starting server rotates per repeat) so that machine noise hits all of them alike; each figure is
 * the median over repeats, and differences and ratios are taken between runs of the same repeat.
 */
import { median, runLoad } from './lib/load.mjs';
import { cpuTimeMs, memoryOf, resetPeak, sampleRss } from './lib/servers.mjs';
import { SERVERS, startUpstream } from './lib/targets.mjs';

const ALL_CELLS = [
  { mode: 'json', connections: 1 },
  { mode: 'json', connections: 50 },
  { mode: 'stream', connections: 1 },
  { mode: 'stream', connections: 50 },
];
/** `BENCH_CELLS=json:50,stream:50` keeps only those cells (for quick before/after comparisons). */
export const CELLS = process.env.BENCH_CELLS
  ? ALL_CELLS.filter((c) => process.env.BENCH_CELLS.split(',').includes(`${c.mode}:${c.connections}`))
  : ALL_CELLS;

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
      for (const name of servers)
        await runLoad({ ...target(name, mode), connections: 50, durationS: warmupS });
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
          const cpu0 = { server: cpuTimeMs(pid), upstream: cpuTimeMs(upstream.proc.pid) };
          const result = await runLoad({
            ...target(name, cell.mode),
            connections: cell.connections,
            durationS,
          });
          const sampled = sampler?.stop();
          // CPU per answered request: the server's own, and what it made the upstream spend.
          const cpuUsPerReq = ((cpuTimeMs(pid) - cpu0.server) * 1000) / Math.max(1, result.ok);
          const upstreamCpuUsPerReq =
            ((cpuTimeMs(upstream.proc.pid) - cpu0.upstream) * 1000) / Math.max(1, result.ok);
          const peakRssMb = canReset ? memoryOf(pid).peakMb : sampled;
          runs.push({
            repeat,
            ...cell,
            server: name,
            ...result,
            peakRssMb,
            cpuUsPerReq: name === 'direct' ? 0 : cpuUsPerReq,
            upstreamCpuUsPerReq,
          });
          log(
            `  r${repeat + 1} ${cell.mode.padEnd(6)} c=${String(cell.connections).padEnd(2)} ${name.padEnd(9)} ` +
              `${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(3)} ms  p99 ${result.p99Ms.toFixed(2)} ms  ` +
              `cpu ${name === 'direct' ? '-' : cpuUsPerReq.toFixed(0)} + upstream ${upstreamCpuUsPerReq.toFixed(0)} µs/req` +
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
        cpuUsPerReq: median(mine.map((r) => r.cpuUsPerReq)),
        upstreamCpuUsPerReq: median(mine.map((r) => r.upstreamCpuUsPerReq)),
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
      ...(servers.includes('rotorB') ? { comparedVsRotor: ratio('rotorB', 'rotor') } : {}),
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
