/**
 * Where rotor's CPU goes under load: `node --cpu-prof` on the gateway while autocannon drives it
 * (50 connections, non-streaming then streaming, zero-latency upstream), then a summary of the
 * profile by self time — per category (rotor's own code, each dependency, node internals, GC) and
 * the top frames, rotor's own code listed separately with inclusive time too.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runLoad } from './lib/load.mjs';
import { ROOT } from './lib/servers.mjs';
import { SERVERS, startRotor, startUpstream } from './lib/targets.mjs';

export async function runProfile({ durationS, log, env = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-cpu-prof-'));
  const upstream = await startUpstream();
  const load = {};
  try {
    const rotor = await startRotor(upstream, {
      nodeOptions: ['--cpu-prof', '--cpu-prof-dir', dir],
      env,
    });
    try {
      for (const mode of ['json', 'stream']) {
        const r = SERVERS.rotor.request(mode === 'stream');
        load[mode] = await runLoad({
          url: rotor.url,
          body: r.body,
          headers: r.headers,
          connections: 50,
          durationS,
        });
        log(`  profiling ${mode.padEnd(6)} c=50: ${load[mode].rps.toFixed(0)} req/s under --cpu-prof`);
      }
    } finally {
      await rotor.proc.stop();
    }
  } finally {
    await upstream.proc.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const path = join(dir, file);
  return {
    file: path,
    load: Object.fromEntries(Object.entries(load).map(([k, v]) => [k, v.rps])),
    ...summariseProfile(JSON.parse(readFileSync(path, 'utf8'))),
  };
}

function categoryOf(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native';
  }
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([a-z_]+)/.exec(url);
    const area = m?.[1] ?? 'other';
    if (/^_?http|http_parser|^http/.test(area)) return 'node: http';
    if (/stream/.test(area)) return 'node: streams';
    return `node: ${area}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `dep: ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.includes('/dist/')) return 'rotor';
  return 'other';
}

function shortUrl(url) {
  if (!url) return '';
  if (url.startsWith('file://')) {
    const rel = relative(ROOT, new URL(url).pathname);
    return rel.replace(/^node_modules\//, '');
  }
  return url;
}

/** Self and inclusive time per frame, from samples and time deltas. */
export function summariseProfile(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  const meanDelta = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  for (let i = 0; i < profile.samples.length; i++) {
    const us = deltas[i + 1] ?? meanDelta;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + us);
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

  const keyOf = (n) =>
    `${n.callFrame.functionName || '(anonymous)'}\t${n.callFrame.url}\t${n.callFrame.lineNumber}`;
  const frames = new Map();
  const categories = new Map();
  const inclusive = new Map();
  for (const [id, us] of self) {
    const n = nodes.get(id);
    const key = keyOf(n);
    const cat = categoryOf(n.callFrame.url, n.callFrame.functionName);
    categories.set(cat, (categories.get(cat) ?? 0) + us);
    const f = frames.get(key) ?? {
      function: n.callFrame.functionName || '(anonymous)',
      location: n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '',
      category: cat,
      selfUs: 0,
    };
    f.selfUs += us;
    frames.set(key, f);
    // inclusive: credit every distinct frame on the stack once
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const idleUs = categories.get('idle') ?? 0;
  const busyUs = totalUs - idleUs;
  const pct = (us) => Math.round((us / busyUs) * 1000) / 10;
  const top = (list, n) => list.sort((a, b) => b.selfUs - a.selfUs).slice(0, n);
  const allFrames = [...frames.entries()].map(([key, f]) => ({
    ...f,
    inclusiveUs: inclusive.get(key) ?? f.selfUs,
  }));
  const rotorFrames = allFrames.filter((f) => f.category === 'rotor');
  const view = (f) => ({
    function: f.function,
    location: f.location,
    category: f.category,
    selfPct: pct(f.selfUs),
    inclusivePct: pct(f.inclusiveUs),
  });
  return {
    sampledMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    note: 'percentages are of non-idle CPU time of the rotor process',
    categories: [...categories.entries()]
      .filter(([c]) => c !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, selfPct: pct(us) })),
    topFrames: top(allFrames, 25).map(view),
    rotorSelf: top(rotorFrames, 15).map(view),
    rotorInclusive: rotorFrames
      .sort((a, b) => b.inclusiveUs - a.inclusiveUs)
      .slice(0, 15)
      .map(view),
  };
}
