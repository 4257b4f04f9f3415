/**
 * Durations as Groq writes them in `x-ratelimit-reset-*` headers and "Please try again in …"
 * messages: Go's `time.Duration` format — `2m59.56s`, `7.66s`, `370ms`, `1h2m3s`, `9m38.016s`.
 * Also Google's protobuf durations (`"22s"`, `"56.535871546s"`), which are the same format.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  μs: 0.001,
  ns: 0.000_001,
};

const DURATION =
  /^(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns))*$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/g;

/** A Go duration in ms (fractional ms kept), or undefined when `text` is not one. `"0"` is 0. */
export function parseGoDurationMs(text: string): number | undefined {
  const v = text.trim();
  if (v === '0') return 0;
  if (!DURATION.test(v)) return undefined;
  let ms = 0;
  for (const match of v.matchAll(PART)) ms += Number(match[1]) * UNIT_MS[match[2]!]!;
  // Float sums (59.56 × 1000 = 59560.000000000007): keep microsecond precision, no more.
  return Math.round(ms * 1000) / 1000;
}

/** A duration found inside free text (the first one after `prefix`), ms. */
export function findGoDurationMs(text: string, prefix: RegExp): number | undefined {
  const re = new RegExp(
    `${prefix.source}\\s*((?:(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:h|ms|m|s|us|µs|μs|ns))+)`,
    'i',
  );
  const match = re.exec(text);
  return match ? parseGoDurationMs(match[1]!) : undefined;
}
