#!/usr/bin/env node
/**
 * A small mutation check of the engine and the request loop: each mutant is a deliberate bug that
 * a past test suite let through (or one the contract forbids). The script applies one at a time,
 * runs the tests that should catch it, and reports whether they did ("killed") or stayed green
 * ("survived"). Run it before a release:
 *
 *   node scripts/mutation-check.mjs            # all mutants, writes docs/mutation.md
 *   node scripts/mutation-check.mjs budget     # only mutants whose id contains "budget"
 *
 * The working tree is restored after each mutant (and on Ctrl-C). Takes a few minutes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @type {Array<{ id: string; why: string; file: string; find: string; replace: string; tests: string[]; only?: string }>} */
const MUTANTS = [
  {
    id: 'budget-check-deleted',
    why: 'same-model retries no longer ask the retry budget',
    file: 'src/router/decide-after-failure.ts',
    find: 'if (s.retriedSameModel.has(lease.model) || !ctx.budget.tryRetry()) s.exclude.add(lease.model);',
    replace: 'if (s.retriedSameModel.has(lease.model)) s.exclude.add(lease.model);',
    tests: ['test/load-matrix.test.ts'],
    only: 'failing as a whole',
  },
  {
    id: 'budget-never-refills',
    why: 'retries taken never expire from the window',
    file: 'src/engine/sliding-count.ts',
    find: 'this.sum -= this.counts[i]!;\n        this.counts[i] = 0;',
    replace: '',
    tests: ['src/engine/retry-budget.test.ts'],
  },
  {
    id: 'failover-asks-budget',
    why: 'moving on to another model is refused when the budget is spent (failover starved)',
    file: 'src/router/chat-loop.ts',
    find: '      const candidates = first ?',
    replace:
      "      if (attemptsMade(run.attempts) > 0 && !ctx.budget.tryRetry()) throw new Error('retry budget spent');\n      const candidates = first ?",
    tests: ['test/failover-properties.test.ts'],
  },
  {
    id: 'commit-on-any-chunk',
    why: 'a stream is committed on its role-only chunk instead of the first content',
    file: 'src/router/live-attempt.ts',
    find: 'if (!content && hasContent(batch[i]!)) content = true;',
    replace: 'content = true;',
    tests: ['test/gateway-failure-wire.test.ts'],
  },
  {
    id: 'done-after-error',
    why: '[DONE] is written after an in-band error chunk',
    file: 'src/server/chat-route.ts',
    find: 'if (!failed && !res.destroyed) res.write(encoder.end());',
    replace: 'if (!res.destroyed) res.write(encoder.end());',
    tests: ['test/gateway-failure-wire.test.ts'],
  },
  {
    id: 'cancel-counts-failure',
    why: 'release() of a cancelled attempt increments consecutiveFailures',
    file: 'src/engine/rotation-engine.ts',
    find: 'e.metrics.cancelled++;',
    replace: 'e.metrics.cancelled++;\n        e.health.consecutiveFailures++;',
    tests: ['src/engine/episodes.test.ts'],
  },
  {
    id: 'deadline-is-model-failure',
    why: "the request's own deadline is counted against the model",
    file: 'src/router/chat-loop.ts',
    find: "err.failure.phase === 'total'",
    replace: "err.failure.phase === ('never' as string)",
    tests: ['test/load-matrix.test.ts'],
    only: 'hostile',
  },
  {
    id: 'episodes-off',
    why: 'every failure of a concurrent burst escalates the model',
    file: 'src/engine/rotation-engine.ts',
    find: 'const stale = epoch !== undefined && epoch !== e.epoch;',
    replace: 'const stale = false;',
    tests: ['src/engine/episodes.test.ts'],
  },
  {
    id: 'missing-done-is-failure',
    why: 'a stream with a finish_reason that closes without [DONE] is called broken',
    file: 'src/upstream/stream-attempt.ts',
    find: 'if (this.sawFinish) {\n      this.finish',
    replace: 'if (false as boolean) {\n      this.finish',
    tests: ['test/gateway-failure-wire.test.ts'],
  },
  {
    id: 'no-output-clamp',
    why: 'max_tokens is sent as is: a demand, not a ceiling',
    file: 'src/router/output-limit.ts',
    find: 'if (limit === undefined) return body;',
    replace: 'return body;',
    tests: ['test/gateway-failure-wire.test.ts'],
  },
  {
    id: 'no-should-retry-header',
    why: 'a spent daily quota no longer says x-should-retry: false',
    file: 'src/errors.ts',
    find: "if (e.shouldRetry === false) headers['x-should-retry'] = 'false';",
    replace: '',
    tests: ['test/gateway-failure-wire.test.ts'],
  },
  {
    id: 'rate-limits-as-502',
    why: 'every model rate-limited ends in a 503/502 instead of a 429',
    file: 'src/router/loop-errors.ts',
    find: 'if (limits.byRateLimits)',
    replace: 'if (false as boolean)',
    tests: ['test/router.test.ts'],
  },
  {
    id: 'in-band-code-200',
    why: 'the in-band error chunk carries the HTTP 200 it arrived in',
    file: 'src/router/stream-chunks.ts',
    find: 'if (failure.status !== undefined && failure.status >= 400) return failure.status;',
    replace: 'if (failure.status !== undefined) return failure.status;',
    tests: ['test/gateway-failure-wire.test.ts'],
  },
  {
    id: 'breaker-threshold-off-by-one',
    why: 'the breaker opens at 6 failures, not 5',
    file: 'src/engine/rotation-engine.ts',
    find: 'h.consecutiveFailures >= this.options.circuitBreakerThreshold',
    replace: 'h.consecutiveFailures > this.options.circuitBreakerThreshold',
    tests: ['src/engine/rotation-engine.test.ts'],
  },
  {
    id: 'silent-model-retried',
    why: 'a model silent until the first-token limit is retried instead of failed over',
    file: 'src/router/decide-after-failure.ts',
    find: 's.exclude.add(lease.model); // a silent model is failed over, not retried',
    replace: 'sameModelRetryOrExclude();',
    tests: ['test/router.test.ts'],
  },
  {
    id: 'half-open-admits-all',
    why: 'a half-open breaker admits every request instead of one probe',
    file: 'src/engine/rotation-engine.ts',
    find: 'e.probesInFlight >= this.options.breaker.halfOpenMaxProbes',
    replace: 'e.probesInFlight < 0',
    tests: ['src/engine/rotation-engine.test.ts'],
  },
  {
    id: 'probe-wait-grows-at-once',
    why: 'a failed probe doubles the open time from the first one (no young phase): a 45 s outage keeps the primary away',
    file: 'src/engine/probe-schedule.ts',
    find: 'const young = nowMs - outage.sinceMs < options.fastProbeForMs;',
    replace: 'const young = outage.lastOpenMs < 0;',
    tests: ['test/recovery-timeline.test.ts'],
  },
  {
    id: 'probe-budget-ignored',
    why: 'probes of free models ignore the daily probe budget (a 50-a-day account spends more than 10 %)',
    file: 'src/engine/rotation-engine.ts',
    find: 'if (mayProbe(budget, spent, rank < 0 ? this.order.length : rank)) return undefined;',
    replace: 'return undefined;',
    tests: ['test/recovery-timeline.test.ts'],
  },
  {
    id: 'probe-budget-flat',
    why: 'every model may spend the whole probe budget: none is kept for the top of the rotation',
    file: 'src/engine/rotation-engine.ts',
    find: 'rank < 0 ? this.order.length : rank',
    replace: '0',
    tests: ['src/engine/probe-schedule.test.ts'],
  },
  {
    id: 'cooldown-shortened',
    why: 'a later, shorter report shortens a cooldown in force',
    file: 'src/engine/rotation-engine.ts',
    find: 'if (existing && existing.untilMs >= untilMs) return;',
    replace: '',
    tests: ['src/engine/rotation-engine.test.ts'],
  },
  {
    id: 'hedge-loser-kept',
    why: 'the losing attempt of a hedge race is left running (and its lease held)',
    file: 'src/router/chat-loop.ts',
    find: "abandon(ctx, s, run, loser, winner ? 'another attempt answered first (hedge)' : 'the request ended');",
    replace: '',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-loser-blamed',
    why: 'the losing attempt of a hedge race is counted as a failure of its model',
    file: 'src/router/chat-loop.ts',
    find: '  live.abandon();\n  live.dispose();\n  live.lease.release();',
    replace:
      "  live.abandon();\n  live.dispose();\n  live.lease.fail({ kind: 'timeout', phase: 'first_token', message: 'slow' });",
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-first-settled-wins',
    why: 'the first attempt to settle wins the race, even by failing',
    file: 'src/router/chat-loop.ts',
    find: "if (settled.result.kind !== 'error') {",
    replace: "if (settled.result.kind !== ('never' as string)) {",
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-loser-opening-left',
    why: 'a race loser whose upstream had not answered yet is left running once it does',
    file: 'src/router/live-attempt.ts',
    find: 'if (this.abandoned) {\n        await this.stop();',
    replace: 'if (this.abandoned && (false as boolean)) {\n        await this.stop();',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-not-retried',
    why: 'a hedge refused when its timer fired is never tried again for that attempt',
    file: 'src/router/chat-loop.ts',
    find: "else if (hedge === 'later' && racing.length === 1) arm(ctx.options.hedging.minDelayMs);",
    replace: '',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-beyond-cap',
    why: 'a hedge is started although the request has used its attempt cap',
    file: 'src/router/chat-loop.ts',
    find: 'if (callsMade(run, s) + racing.length >= s.maxAttempts) return',
    replace: 'if ((false as boolean) && callsMade(run, s) + racing.length >= s.maxAttempts) return',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-share-unbounded',
    why: 'hedges ignore the share of attempts',
    file: 'src/engine/hedge-budget.ts',
    find: 'return this.hedges.total() + 1 <= this.options.maxShare * (this.attempts.total() + 1) + 1e-9;',
    replace: 'return true;',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'hedge-ignores-quota',
    why: 'hedges are sent to a free account whose quota is nearly spent',
    file: 'src/router/chat-loop.ts',
    find: 'engine.quotaLeft(lease.model) < ctx.options.hedging.minQuotaLeft',
    replace: 'engine.quotaLeft(lease.model) < 0',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'continuation-in-tool-call',
    why: 'a cut tool call is continued as if it were text',
    file: 'src/router/partial-answer.ts',
    find: 'return this.plain && this.text.length > 0;',
    replace: 'return true;',
    tests: ['test/hedging.test.ts'],
  },
  {
    id: 'continuation-own-id',
    why: "a continuation's chunks keep their own stream id (two streams in one)",
    file: 'src/router/chat-loop.ts',
    find: 'chunk.id = splice.streamId;',
    replace: '',
    tests: ['test/hedging.test.ts'],
  },
];

const filter = process.argv[2];
const chosen = MUTANTS.filter((m) => !filter || m.id.includes(filter));
const originals = new Map();
const restoreAll = () => {
  for (const [file, text] of originals) writeFileSync(join(root, file), text);
};
process.on('SIGINT', () => {
  restoreAll();
  process.exit(130);
});

// A mutant only counts as killed if its tests pass without it: check the unmutated tree first.
const baselineFiles = [...new Set(chosen.flatMap((m) => m.tests))];
const baseline = spawnSync('npx', ['vitest', 'run', ...baselineFiles], {
  cwd: root,
  env: { ...process.env, ROTOR_TEST_SKIP_BUILD: '1' },
  encoding: 'utf8',
});
if (baseline.status !== 0) {
  console.error(`the tests fail without any mutant; fix them first:\n${baseline.stdout.slice(-3000)}`);
  process.exit(2);
}
console.log(`baseline: ${baselineFiles.length} test files pass unmutated`);

const results = [];
for (const m of chosen) {
  const path = join(root, m.file);
  const original = readFileSync(path, 'utf8');
  if (!original.includes(m.find)) {
    results.push({ ...m, verdict: 'stale (code changed: update the mutant)' });
    console.log(`? ${m.id}: the code it mutates is gone`);
    continue;
  }
  originals.set(m.file, original);
  writeFileSync(path, original.replace(m.find, m.replace));
  const args = ['vitest', 'run', ...m.tests, ...(m.only ? ['-t', m.only] : [])];
  const started = Date.now();
  const run = spawnSync('npx', args, {
    cwd: root,
    env: { ...process.env, ROTOR_TEST_SKIP_BUILD: '1' },
    encoding: 'utf8',
  });
  writeFileSync(path, original);
  originals.delete(m.file);
  const verdict = run.status === 0 ? 'survived' : 'killed';
  results.push({ ...m, verdict });
  console.log(
    `${verdict === 'killed' ? '✓' : '✗'} ${m.id}: ${verdict} (${Math.round((Date.now() - started) / 1000)} s)`,
  );
}

const killed = results.filter((r) => r.verdict === 'killed').length;
const score = `${killed}/${results.length}`;
console.log(`\nmutation score: ${score} killed`);
if (!filter) {
  const lines = [
    '# Mutation check of the engine and the request loop',
    '',
    'Written by `node scripts/mutation-check.mjs` (run it before a release). Each mutant is a deliberate',
    'bug, applied alone; "killed" means the named tests failed, as they must.',
    '',
    `Score: **${score} killed** (${new Date().toISOString().slice(0, 10)}).`,
    '',
    '| mutant | the bug | caught by | verdict |',
    '| --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| \`${r.id}\` | ${r.why} | ${r.tests.map((t) => `\`${t}\``).join(', ')}${r.only ? ` (“${r.only}”)` : ''} | ${r.verdict} |`,
    ),
  ];
  writeFileSync(join(root, 'docs/mutation.md'), `${lines.join('\n')}\n`);
  // The repository's formatter owns Markdown tables too (npm run lint checks it).
  spawnSync('npx', ['biome', 'format', '--write', 'docs/mutation.md'], { cwd: root });
}
process.exit(killed === results.length ? 0 : 1);
