/**
 * autocannon, programmatically, with exact latencies: autocannon's own histogram keeps whole
 * milliseconds, too coarse for "≤ 0.5 ms added", so every 2xx response time (a float, ms, from
 * request written to response complete — the whole SSE stream for streaming requests) is kept
 * and the percentiles are computed from them.
 */
import autocannon from 'autocannon';

/** The q-quantile (0–1) of sorted values, nearest-rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * One load run: `connections` keep-alive connections sending `body` as fast as answers come back,
 * for `durationS` seconds. Returns requests/s counting only 2xx answers, and latency percentiles.
 */
export function runLoad({ url, body, headers = {}, connections, durationS }) {
  return new Promise((resolve, reject) => {
    let samples = new Float64Array(1 << 16);
    let count = 0;
    const startedAt = process.hrtime.bigint();
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        connections,
        pipelining: 1,
        duration: durationS,
        timeout: 30,
      },
      (err, result) => {
        if (err) return reject(err);
        const elapsedS = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const sorted = samples.subarray(0, count).sort();
        let sum = 0;
        for (let i = 0; i < count; i++) sum += sorted[i];
        resolve({
          ok: count,
          rps: count / Math.min(elapsedS, result.duration || elapsedS),
          meanMs: count ? sum / count : Number.NaN,
          p50Ms: quantile(sorted, 0.5),
          p90Ms: quantile(sorted, 0.9),
          p99Ms: quantile(sorted, 0.99),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationS: result.duration,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode > 299) return;
      if (count === samples.length) {
        const grown = new Float64Array(samples.length * 2);
        grown.set(samples);
        samples = grown;
      }
      samples[count++] = responseTime;
    });
  });
}
