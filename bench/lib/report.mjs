/**
 * The results as Markdown tables and hand-written SVG bar charts (no dependencies).
 */

const LABELS = {
  direct: 'upstream direct',
  proxy: 'bare undici proxy',
  rotor: 'rotor',
  rotorInfo: 'rotor (info logs)',
  rotorB: 'rotor (compared build)',
  portkey: 'Portkey 1.15.2',
};
const COLORS = {
  direct: '#9aa5b1',
  proxy: '#5b8def',
  rotor: '#1f9d55',
  rotorInfo: '#6cc08b',
  rotorB: '#0b5d2f',
  portkey: '#e8833a',
  'seed algorithm': '#b36bd4',
  'seed + breaker (60 s)': '#d4a5e8',
  'Portkey-style fallback': '#e8833a',
  oracle: '#9aa5b1',
};

const f = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const ms = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(3) : x.toFixed(1)) : 'n/a');
const cellName = (c) => `${c.mode === 'json' ? 'non-streaming' : 'streaming'}, ${c.connections} conn`;

export function evaluateTargets(results) {
  const targets = [];
  const o = results.overhead;
  if (o) {
    for (const cell of o.cells) {
      if (Number.isFinite(cell.rotorVsProxy))
        targets.push({
          target: `throughput ≥ 0.75 × bare proxy (${cellName(cell)})`,
          value: `${f(cell.rotorVsProxy, 2)} ×`,
          met: cell.rotorVsProxy >= 0.75,
        });
      if (Number.isFinite(cell.rotorVsPortkey))
        targets.push({
          target: `throughput ≥ 10 × Portkey (${cellName(cell)})`,
          value: `${f(cell.rotorVsPortkey, 1)} ×`,
          met: cell.rotorVsPortkey >= 10,
        });
      if (cell.connections === 1)
        targets.push({
          target: `added p50 ≤ 0.5 ms vs direct (${cellName(cell)})`,
          value: `${ms(cell.rows.rotor.addedP50Ms)} ms (bare proxy: ${ms(cell.rows.proxy?.addedP50Ms)} ms)`,
          met: cell.rows.rotor.addedP50Ms <= 0.5,
        });
    }
  }
  const s = results.streams?.results?.rotor;
  if (s) {
    const worst = Math.max(s.peakRssMb, s.rssAllOpenMb);
    targets.push({
      target: `RSS ≤ 120 MB with ${results.streams.streams} concurrent streams`,
      value: `${f(s.rssAllOpenMb)} MB all open, ${f(s.peakRssMb)} MB peak`,
      met: worst <= 120 && s.completed === results.streams.streams,
    });
  }
  const r = results.routing;
  if (r) {
    const rotor = r.rows.find((x) => x.router === 'rotor');
    const oracle = r.rows.find((x) => x.router === 'oracle');
    targets.push({
      target: 'success ≥ oracle − 0.1 %',
      value: `${f(rotor.successRate * 100, 2)} % vs ${f(oracle.successRate * 100, 2)} %`,
      met: rotor.successRate >= oracle.successRate - 0.001,
    });
    targets.push({
      target: '≤ 1.1 upstream attempts per success',
      value: f(rotor.attemptsPerSuccess, 3),
      met: rotor.attemptsPerSuccess <= 1.1,
    });
    targets.push({
      target: 'p50 latency within 10 % of the oracle',
      value: `${f(rotor.p50LatencyMs / 1000, 2)} s vs ${f(oracle.p50LatencyMs / 1000, 2)} s`,
      met: rotor.p50LatencyMs <= oracle.p50LatencyMs * 1.1,
    });
  }
  const a = r?.agentDay;
  if (a) {
    const rotor = a.rows.find((x) => x.set === 'pool' && x.router === 'rotor');
    const oracle = a.rows.find((x) => x.set === 'pool' && x.router === 'oracle');
    if (rotor && oracle) {
      // "Where the pooled free capacity suffices": the oracle serves every request.
      const suffices = oracle.successRate === 1;
      targets.push({
        target: `agent day: success ≥ 99.9 % where the pooled free capacity suffices (${a.scenario.pool})`,
        value: `${f(rotor.successRate * 100, 2)} % (oracle ${f(oracle.successRate * 100, 2)} %${suffices ? '' : ': the capacity does not suffice'})`,
        met: suffices ? rotor.successRate >= 0.999 : rotor.successRate >= oracle.successRate - 0.001,
      });
      targets.push({
        target: `agent day: ≤ 1.1 upstream attempts per success (${a.scenario.pool})`,
        value: f(rotor.attemptsPerSuccess, 3),
        met: rotor.attemptsPerSuccess <= 1.1,
      });
    }
  }
  return targets;
}

export function markdown(results) {
  const out = [];
  const m = results.meta;
  const name = m.smoke ? 'smoke run' : !m.name || m.name === 'latest' ? 'latest run' : m.name;
  out.push(`# rotor benchmarks — ${name}`);
  out.push('');
  if (m.comparedRoot || m.rotorRoot)
    out.push(
      `"rotor" is the build in \`${m.rotorRoot}\`; "rotor (compared build)" the one in \`${m.comparedRoot ?? 'n/a'}\`.`,
      '',
    );
  out.push(
    `${m.startedAt} · node ${m.machine.node} · ${m.machine.cpus} × ${m.machine.cpuModel} · ${m.machine.memoryGb} GB · ` +
      `load average at start ${m.machine.loadAverage.join(' / ')}, at end ${m.loadAverageAtEnd.join(' / ')} · ` +
      `${m.durationS} s per cell × ${m.repeats} repeat(s), medians · whole run ${f(m.wallS)} s`,
  );
  out.push('');
  out.push(
    'Client (autocannon), servers and the upstream share the same cores; every server runs in its own ' +
      'process on 127.0.0.1. Throughput runs turn the simulator’s free-model limits and rotor’s local quota ' +
      'pacing (`engine.quota.freeRequestsPerMinute: 0`) off. See bench/README.md for what each cell means.',
  );
  out.push('');

  const targets = results.targets ?? evaluateTargets(results);
  if (targets.length) {
    out.push('## Targets');
    out.push('');
    out.push('| target | measured | met |');
    out.push('| --- | --- | --- |');
    for (const t of targets) out.push(`| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`);
    out.push('');
  }

  const o = results.overhead;
  if (o) {
    out.push('## 1. Overhead and throughput (zero-latency upstream)');
    out.push('');
    if (name === 'latest run') out.push('![throughput](throughput.svg)', '');
    for (const cell of o.cells) {
      out.push(`### ${cellName(cell)}`);
      out.push('');
      out.push(
        '| server | req/s | p50 ms | p99 ms | added p50 vs direct, ms | CPU µs / req | upstream CPU µs / req | peak RSS MB | failed |',
      );
      out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const s of o.servers) {
        const row = cell.rows[s];
        const direct = s === 'direct';
        out.push(
          `| ${LABELS[s]} | ${f(row.rps)} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ${direct ? '—' : ms(row.addedP50Ms)} | ${direct ? '—' : f(row.cpuUsPerReq)} | ${f(row.upstreamCpuUsPerReq)} | ${direct ? '(simulator)' : f(row.peakRssMb)} | ${row.failures} |`,
        );
      }
      out.push('');
    }
    out.push(
      '| cell | rotor / bare proxy (req/s) | rotor / Portkey (req/s) | rotor added p50 vs proxy, ms |',
    );
    out.push('| --- | ---: | ---: | ---: |');
    for (const cell of o.cells)
      out.push(
        `| ${cellName(cell)} | ${f(cell.rotorVsProxy, 2)} | ${f(cell.rotorVsPortkey, 1)} | ${ms(cell.rotorAddedVsProxyP50Ms)} |`,
      );
    out.push('');
    if (o.servers.includes('rotorB')) {
      out.push('| cell | compared build / rotor (req/s) | CPU µs / req: rotor → compared build |');
      out.push('| --- | ---: | ---: |');
      for (const cell of o.cells)
        out.push(
          `| ${cellName(cell)} | ${f(cell.comparedVsRotor, 2)} | ${f(cell.rows.rotor.cpuUsPerReq)} → ${f(cell.rows.rotorB.cpuUsPerReq)} |`,
        );
      out.push('');
    }
    out.push(
      `Idle RSS after start (MB): ${o.servers
        .filter((s) => s !== 'direct')
        .map((s) => `${LABELS[s]} ${f(o.idleRssMb[s])}`)
        .join(' · ')}.`,
    );
    out.push('');
  }

  const st = results.streams;
  if (st) {
    out.push(`## 2. Memory with ${st.streams} concurrent streams`);
    out.push('');
    out.push(`Upstream: ${st.upstream}. RSS from /proc (VmRSS while all are open; VmHWM for the peak).`);
    out.push('');
    out.push('| server | completed | RSS idle MB | RSS all open MB | peak RSS MB | all open after |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [s, r] of Object.entries(st.results))
      out.push(
        `| ${LABELS[s]} | ${r.completed}/${st.streams} | ${f(r.idleRssMb)} | ${f(r.rssAllOpenMb)} | ${f(r.peakRssMb)} | ${r.allOpenAfterMs ?? 'n/a'} ms |`,
      );
    out.push('');
  }

  const r = results.routing;
  if (r) {
    const sc = r.scenario;
    out.push('## 3. Routing quality (a simulated day, virtual time)');
    out.push('');
    if (name === 'latest run') out.push('![routing](routing.svg)', '');
    out.push(
      `${sc.requests} requests over ${sc.hours} h (${sc.day}), deadline ${sc.deadlineMs / 1000} s each; account ` +
        `${sc.account.perMinute}/min and ${sc.account.hasCredits ? 1000 : 50}/day free requests; bursts of ` +
        `${sc.burstSize} at ${sc.bursts.join(', ')}; primary outage 13:00–${sc.primaryRecovery}. Scenario in bench/README.md.`,
    );
    out.push('');
    out.push(
      '| router | success | mean s | p50 s | p95 s | attempts / success | quota-counted attempts | failed attempts | answered by primary | first primary answer after recovery |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of r.rows)
      out.push(
        `| ${row.router} | ${f(row.successRate * 100, 2)} % | ${f(row.meanLatencyMs / 1000, 2)} | ${f(row.p50LatencyMs / 1000, 2)} | ${f(row.p95LatencyMs / 1000, 2)} | ${f(row.attemptsPerSuccess, 3)} | ${row.quotaAttempts} | ${row.failedAttempts} | ${f(row.servedByPrimary * 100, 1)} % | ${row.backOnPrimaryAfterRecoveryS === null ? 'never' : `+${f(row.backOnPrimaryAfterRecoveryS, 1)} s`} |`,
      );
    out.push('');
    out.push(
      countsLine(
        'Failures by reason',
        r.rows.map((row) => [row.router, Object.entries(row.failures)]),
      ),
    );
    out.push('');
    if (r.tail) out.push(...tailMarkdown(r.tail));
    if (r.agentDay) out.push(...agentDayMarkdown(r.agentDay));
  }

  const p = results.profile;
  if (p) {
    out.push('## 4. CPU profile of rotor under load');
    out.push('');
    out.push(
      `\`node --cpu-prof\`, 50 connections, non-streaming then streaming (${f(p.load.json)} / ${f(p.load.stream)} req/s while profiled); ` +
        `${p.busyMs} ms of non-idle CPU sampled. Self time, % of non-idle:`,
    );
    out.push('');
    out.push('| category | self % |');
    out.push('| --- | ---: |');
    for (const c of p.categories.slice(0, 12)) out.push(`| ${c.category} | ${c.selfPct} |`);
    out.push('');
    out.push('| rotor function (dist) | self % | inclusive % |');
    out.push('| --- | ---: | ---: |');
    for (const x of p.rotorSelf.slice(0, 10))
      out.push(`| \`${x.function}\` ${x.location} | ${x.selfPct} | ${x.inclusivePct} |`);
    out.push('');
  }
  if (results.notes?.length) {
    out.push('## Notes');
    out.push('');
    for (const n of results.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** Seconds for a TTFT; a percentile that lands on failed requests (counted as infinite) says so. */
const ttft = (x) => (x === Number.POSITIVE_INFINITY || x === null ? 'failed' : f(x / 1000, 2));
const pct = (x, digits = 1) => `${f(x * 100, digits)} %`;

/** The tail-latency table (`bench/tail-latency.mjs`), a subsection of routing quality. */
function tailMarkdown(t) {
  const sc = t.scenario;
  const out = [];
  const short = (id) => id.split('/')[1].replace(/:free$/, '');
  out.push('## 3b. Tail latency: time to first token, hedging on and off (virtual time)');
  out.push('');
  out.push(
    `${sc.requests} streamed requests over ${sc.minutes / 60} h (Poisson, one every ${sc.meanGapMs / 1000} s on average), ` +
      `deadline ${sc.deadlineMs / 1000} s, first-token timeout ${sc.firstTokenTimeoutMs / 1000} s; account ` +
      `${sc.account.perMinute}/min; heavy-tailed first tokens on ${sc.tailedModels.map(short).join(', ')} ` +
      `(extra ${sc.tailMix.map((x) => `+${x.delayMs / 1000} s`).join(' / ')}); the primary answers ${sc.flap.status} ` +
      `for ${sc.flap.downMs / 1000} s every ${sc.flap.periodMs / 60_000} min from 00:${String(sc.flap.startMs / 60_000).padStart(2, '0')}. ` +
      'Failed requests count as an infinite TTFT. Scenario in bench/README.md.',
  );
  out.push('');
  out.push(
    '| router | success | TTFT p50 s | p95 s | p99 s | > 5 s | > 10 s | p95 s while primary down | attempts / success | cancelled attempts | hedges started / won / wasted | requests that waited |',
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of t.rows) {
    const h = row.hedging;
    out.push(
      `| ${row.router} | ${pct(row.successRate, 2)} | ${ttft(row.p50TtftMs)} | ${ttft(row.p95TtftMs)} | ${ttft(row.p99TtftMs)} | ${pct(row.over5sShare)} | ${pct(row.over10sShare)} | ${ttft(row.flapP95TtftMs)} | ${f(row.attemptsPerSuccess, 3)} | ${row.cancelledAttempts} | ${h ? `${h.started} / ${h.won} / ${h.wasted}` : '—'} | ${row.waitedRequests ?? '—'} |`,
    );
  }
  out.push('');
  const g = t.hedgingGain;
  const on = t.rows.find((x) => x.router === 'rotor, hedging on');
  const off = t.rows.find((x) => x.router === 'rotor, hedging off');
  out.push(
    `**Hedging on vs off: p95 TTFT ${ttft(off.p95TtftMs)} s → ${ttft(on.p95TtftMs)} s (${g.p95Ms >= 0 ? '−' : '+'}${f(Math.abs(g.p95Ms) / 1000, 2)} s), ` +
      `p99 ${ttft(off.p99TtftMs)} s → ${ttft(on.p99TtftMs)} s, p50 ${ttft(off.p50TtftMs)} s → ${ttft(on.p50TtftMs)} s; ` +
      `${f(g.extraAttemptsPerSuccess, 3)} more upstream attempts per success.** ` +
      `Hedges refused by the share bound when their timer fired: ${on.hedging.refusedByShare}; skipped for quota: ${on.hedging.skippedForQuota}.`,
  );
  out.push('');
  const silent = (row) => row.longSilences;
  out.push(
    'Requests where an attempt stayed silent past 10 s — the longest hedge delay, so a hedge was due and did not cut the wait: ' +
      t.rows
        .filter(silent)
        .map(
          (row) =>
            `${row.router} ${silent(row).requests}` +
            (row.hedging.enabled ? ` (${silent(row).hedged} of them with a hedge at some point)` : ''),
        )
        .join(' · ') +
      '.',
  );
  out.push('');
  if (t.seedSweep?.length) {
    out.push(
      'The same comparison with other seeds (other arrivals and draws), p95 / p99 TTFT in s, off → on: ' +
        t.seedSweep
          .map(
            (x) =>
              `seed ${x.seed}: ${ttft(x.off.p95TtftMs)} → ${ttft(x.on.p95TtftMs)} / ${ttft(x.off.p99TtftMs)} → ${ttft(x.on.p99TtftMs)}`,
          )
          .join(' · ') +
        '.',
    );
    out.push('');
  }
  return out;
}

/** The agent-day tables (`bench/agent-day.mjs`), a subsection of routing quality. */
function agentDayMarkdown(a) {
  const sc = a.scenario;
  const t = sc.trace;
  const out = [];
  out.push("## 3c. An agent's day: one endpoint over several free tiers (virtual time)");
  out.push('');
  out.push(
    `${t.requests} requests in ${t.sessions} agent sessions over ${t.hours} h from ${t.start.slice(11, 16)} UTC ` +
      `(busiest minute ${t.busiestMinute}, ${t.idleMinutes} idle minutes); prompts p10 / p50 / p90 / max ` +
      `${t.promptTokens.p10} / ${t.promptTokens.p50} / ${t.promptTokens.p90} / ${t.promptTokens.max} tokens, ` +
      `${t.withTools} with tools, ${t.sideCalls} side calls; max_tokens ${sc.clients
        .map((c) => `${c.maxTokens ?? 'none'} (${c.name})`)
        .join(', ')}; answers of ${sc.answerTokens} tokens; deadline ${sc.deadlineMs / 1000} s. ` +
      'Every router gets the same trace and a fresh world. Scenario and routers in bench/README.md.',
  );
  out.push('');
  const sets = [
    ['openrouter', 'OpenRouter alone'],
    ['pool', sc.pool],
    ['small', sc.smallPool],
  ];
  const labelOf = (set) => sets.find(([s]) => s === set)[1];
  out.push(
    '| router | upstreams | success | 429s to the client | other errors to the client | upstream attempts / success | p50 s | p95 s | served by |',
  );
  out.push('| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |');
  for (const [set, label] of sets) {
    for (const row of a.rows.filter((x) => x.set === set)) {
      const other =
        Object.entries(row.clientErrors)
          .filter(([status]) => status !== '429')
          .map(([status, n]) => `${n} × ${status}`)
          .join(', ') || '—';
      const served =
        Object.entries(row.servedShare)
          .filter(([, share]) => share >= 0.0005)
          .map(([p, share]) => `${p} ${f(share * 100, 1)} %`)
          .join(', ') || '—';
      out.push(
        `| ${row.router} | ${label} | ${pct(row.successRate, 2)} | ${row.client429s} | ${other} | ${f(row.attemptsPerSuccess, 3)} | ${f(row.p50LatencyMs / 1000, 2)} | ${f(row.p95LatencyMs / 1000, 2)} | ${served} |`,
      );
    }
  }
  out.push('');
  out.push(
    countsLine(
      'Failed upstream attempts',
      a.rows.map((row) => [
        `${row.router} (${labelOf(row.set)})`,
        Object.entries(row.failedAttempts).sort((x, y) => y[1] - x[1]),
      ]),
    ),
  );
  out.push('');
  return out;
}

/** `Title: router: 3 timeout, 1 cut · other: none.` — each row's counts in the order given. */
function countsLine(title, rows) {
  const text = rows.map(
    ([name, counts]) => `${name}: ${counts.map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`,
  );
  return `${title}: ${text.join(' · ')}.`;
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Horizontal grouped bars; each group scaled to its own maximum, values printed. */
export function barChart({ title, subtitle, groups, format }) {
  const width = 760;
  const labelW = 170;
  const barH = 16;
  const gap = 4;
  const groupGap = 26;
  const top = subtitle ? 52 : 36;
  let y = top;
  const parts = [];
  for (const g of groups) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${esc(g.label)}</text>`);
    y += 18;
    const max = Math.max(...g.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9);
    for (const b of g.bars) {
      const v = Number.isFinite(b.value) ? b.value : 0;
      const w = Math.max(1, ((width - labelW - 110) * v) / max);
      parts.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color ?? '#888'}"/>`,
      );
      parts.push(`<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 12}">${esc(format(b.value))}</text>`);
      y += barH + gap;
    }
    y += groupGap - gap;
  }
  const height = y + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    subtitle ? `<text x="8" y="38" fill="#555">${esc(subtitle)}</text>` : '',
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

export function charts(results) {
  const out = {};
  const o = results.overhead;
  if (o) {
    out['throughput.svg'] = barChart({
      title: 'Requests per second (median), zero-latency upstream',
      subtitle: 'Each group is scaled to its own fastest server.',
      groups: o.cells.map((cell) => ({
        label: cellName(cell),
        bars: o.servers.map((s) => ({ label: LABELS[s], value: cell.rows[s].rps, color: COLORS[s] })),
      })),
      format: (v) => `${f(v)} req/s`,
    });
    out['latency.svg'] = barChart({
      title: 'p50 latency (median), ms — lower is better',
      subtitle: 'Each group is scaled to its own slowest server.',
      groups: o.cells.map((cell) => ({
        label: cellName(cell),
        bars: o.servers.map((s) => ({ label: LABELS[s], value: cell.rows[s].p50Ms, color: COLORS[s] })),
      })),
      format: (v) => `${ms(v)} ms`,
    });
  }
  const r = results.routing;
  if (r) {
    out['routing.svg'] = barChart({
      title: `Routing quality over a simulated day (${r.scenario.requests} requests)`,
      groups: [
        {
          label: 'success rate, %',
          bars: r.rows.map((row) => ({
            label: row.router,
            value: row.successRate * 100,
            color: COLORS[row.router],
          })),
        },
        {
          label: 'upstream attempts per success (lower is better)',
          bars: r.rows.map((row) => ({
            label: row.router,
            value: row.attemptsPerSuccess,
            color: COLORS[row.router],
          })),
        },
        {
          label: 'p95 latency, s (lower is better)',
          bars: r.rows.map((row) => ({
            label: row.router,
            value: row.p95LatencyMs / 1000,
            color: COLORS[row.router],
          })),
        },
      ],
      format: (v) => f(v, 2),
    });
  }
  return out;
}
