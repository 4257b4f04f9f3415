/**
 * `npm run bench` (build first, then this): every benchmark, side by side, in one run.
 *
 *   node bench/run.mjs            full run (~8 min): writes bench/results/latest.{json,md} + SVG
 *                                 charts and refreshes the table in bench/README.md
 *   node bench/run.mjs --smoke    ~40 s sanity run for CI: writes smoke.{json,md} to a fresh temp dir
 *   --only overhead,streams,routing,profile     a subset (also written to a temp dir); "routing" is
 *                                 the simulated day, the tail-latency scenario (bench/tail-latency.mjs)
 *                                 and an agent's day over pooled providers (bench/agent-day.mjs)
 *   Only a full run touches the tracked bench/results/; BENCH_RESULTS_DIR=dir picks another place.
 *   BENCH_DURATION_S (default 5), BENCH_REPEATS (default 3), BENCH_STREAMS (default 1000)
 *   BENCH_COMPARE_ROTOR=/other/checkout  adds that checkout's built rotor as a sixth server (before/after)
 *   BENCH_ROTOR_ROOT=/checkout            run rotor from that checkout's dist/ instead of this one's
 *   BENCH_ROTOR_NODE_OPTIONS="--flag …"   extra node flags for rotor (e.g. heap sizing experiments)
 *   BENCH_SERVERS=direct,proxy,rotor     the overhead section's servers (default: all)
 *   BENCH_OUT=name                        results file base name (default latest, or smoke)
 *   BENCH_RESULTS_DIR=dir                 where results go (default: bench/results for a full run,
 *                                         a fresh temp dir for --smoke / --only)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { charts, evaluateTargets, markdown } from './lib/report.mjs';
import { machineInfo, ROOT } from './lib/servers.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const smoke = values.smoke;
const sections = new Set((values.only ?? 'overhead,streams,routing,profile').split(',').map((s) => s.trim()));
const durationS = Number(process.env.BENCH_DURATION_S ?? (smoke ? 1 : 5));
const repeats = Number(process.env.BENCH_REPEATS ?? (smoke ? 1 : 3));
const streams = Number(process.env.BENCH_STREAMS ?? (smoke ? 200 : 1000));
// A partial run (smoke, a subset) never overwrites the committed results of a full one.
const fullRun = !smoke && values.only === undefined;
const resultsDir =
  process.env.BENCH_RESULTS_DIR ??
  (fullRun ? join(ROOT, 'bench', 'results') : mkdtempSync(join(tmpdir(), 'rotor-bench-')));
mkdirSync(resultsDir, { recursive: true });
const committedResults = relative(join(ROOT, 'bench', 'results'), resultsDir) === '';
const t0 = Date.now();
const log = (line) =>
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench: dist/ is missing; run `npm run bench` (it builds first) or `npm run build`\n');
  process.exit(2);
}

const base = process.env.BENCH_OUT ?? (smoke ? 'smoke' : 'latest');
const results = {
  meta: {
    name: base,
    startedAt: new Date().toISOString(),
    smoke,
    ...(process.env.BENCH_ROTOR_ROOT || process.env.BENCH_COMPARE_ROTOR
      ? { rotorRoot: process.env.BENCH_ROTOR_ROOT ?? ROOT, comparedRoot: process.env.BENCH_COMPARE_ROTOR }
      : {}),
    durationS,
    repeats,
    machine: await machineInfo(),
    portkey: portkeyInstall(),
  },
  notes: [],
};
let failed = false;
const section = async (name, fn) => {
  if (!sections.has(name)) return;
  try {
    results[name] = await fn();
  } catch (err) {
    failed = true;
    results[name] = undefined;
    results.notes.push(`${name} failed: ${err?.message ?? err}`);
    log(`${name} FAILED: ${err?.stack ?? err}`);
  }
};

await section('overhead', async () => {
  const { runOverhead } = await import('./overhead.mjs');
  const servers = smoke
    ? ['direct', 'proxy', 'rotor', 'portkey']
    : ['direct', 'proxy', 'rotor', 'rotorInfo', 'portkey'];
  // BENCH_COMPARE_ROTOR=/other/checkout (built) adds that rotor as one more server: before/after figures.
  if (process.env.BENCH_COMPARE_ROTOR) servers.splice(servers.indexOf('rotor') + 1, 0, 'rotorB');
  if (process.env.BENCH_SERVERS) servers.splice(0, servers.length, ...process.env.BENCH_SERVERS.split(','));
  log(`overhead: ${servers.length} servers × 4 cells × ${repeats} repeat(s) × ${durationS} s`);
  return runOverhead({ durationS, repeats, warmupS: smoke ? 0.5 : 2, servers, log });
});
await section('streams', async () => {
  const { runStreamsRss } = await import('./streams-rss.mjs');
  log(`streams: ${streams} concurrent streams per server`);
  return runStreamsRss({ streams, servers: smoke ? ['rotor'] : ['rotor', 'proxy', 'portkey'], log });
});
await section('routing', async () => {
  const { runRoutingQuality } = await import('./routing-quality.mjs');
  const { runTailLatency } = await import('./tail-latency.mjs');
  const { runAgentDay } = await import('./agent-day.mjs');
  const day = await runRoutingQuality({ smoke, log });
  const tail = await runTailLatency({ smoke, log });
  return { ...day, tail, agentDay: await runAgentDay({ smoke, log }) };
});
if (!smoke) {
  await section('profile', async () => {
    const { runProfile } = await import('./profile.mjs');
    log('profile: rotor under node --cpu-prof');
    const p = await runProfile({ durationS: Math.max(2, durationS), log });
    return p;
  });
}

results.meta.loadAverageAtEnd = (await machineInfo()).loadAverage;
results.meta.wallS = (Date.now() - t0) / 1000;
results.notes.push(
  `Portkey: @portkey-ai/gateway ${results.meta.portkey.version}, @hono/node-server ${results.meta.portkey.honoNodeServer} (npm overrides), ` +
    `postinstall patch of async-retry ${results.meta.portkey.asyncRetryPatched ? 'applied' : 'NOT applied (the npm package ships no patches/ folder, and npm 11 skips its install script unless approved)'}; ` +
    'its fallback config lists the same 12 models as rotor’s rotation.',
);
// Targets only mean something for a complete run of this tree's rotor.
results.targets = base === 'latest' || base === 'smoke' ? evaluateTargets(results) : [];

writeFileSync(join(resultsDir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
const md = markdown(results);
writeFileSync(join(resultsDir, `${base}.md`), `${md}\n`);
const withCharts = base === 'latest' && fullRun;
if (withCharts) {
  for (const [name, svg] of Object.entries(charts(results))) writeFileSync(join(resultsDir, name), svg);
  if (committedResults) updateReadme(md);
}
log(
  `wrote ${join(resultsDir, `${base}.json`)} and ${base}.md${withCharts ? ', charts' : ''}${withCharts && committedResults ? ', and the table in bench/README.md' : ''}`,
);
for (const t of results.targets) log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}`);
process.exit(failed ? 1 : 0);

function portkeyInstall() {
  const read = (p) => {
    try {
      return readFileSync(join(ROOT, p), 'utf8');
    } catch {
      return undefined;
    }
  };
  const version = (p) => {
    const text = read(p);
    return text ? JSON.parse(text).version : 'missing';
  };
  const asyncRetry = read('node_modules/async-retry/lib/index.js') ?? '';
  return {
    version: version('node_modules/@portkey-ai/gateway/package.json'),
    honoNodeServer: version('node_modules/@hono/node-server/package.json'),
    hono: version('node_modules/hono/package.json'),
    // Portkey's patch makes async-retry hand its operation to the callback (`fn(bail, num, op)`).
    asyncRetryPatched: /fn\(\s*bail\s*,\s*num\s*,/.test(asyncRetry),
  };
}

/** Replace the block between the markers in bench/README.md with the latest tables. */
function updateReadme(text) {
  const path = join(ROOT, 'bench', 'README.md');
  if (!existsSync(path)) return;
  const readme = readFileSync(path, 'utf8');
  const start = '<!-- latest-results:start -->';
  const end = '<!-- latest-results:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) return;
  const body = text
    .replace(/^# .*\n/, '')
    .replaceAll('](throughput.svg)', '](results/throughput.svg)')
    .replaceAll('](routing.svg)', '](results/routing.svg)')
    .replace(/^## /gm, '### ')
    .replace(/^### ([a-z].*)$/gm, '#### $1');
  writeFileSync(path, `${readme.slice(0, i + start.length)}\n${body.trim()}\n${readme.slice(j)}`);
  // Keep the file in the shape `npm run lint` expects (biome also formats Markdown tables).
  const biome = join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
  if (existsSync(biome)) spawnSync(process.execPath, [biome, 'format', '--write', path], { stdio: 'ignore' });
}
