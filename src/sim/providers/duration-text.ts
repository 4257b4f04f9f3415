/**
 * Waits written the way providers write them: Go durations (`2m59.56s`, `370ms`, `9m38.016s`) in
 * Groq's headers and messages, decimal seconds (`33011.383`) in Cerebras' reset headers, whole
 * seconds in `Retry-After`. Every value is rounded UP to what its format can say, so a client that
 * waits exactly the stated time always finds room.
 */

/** Go's `time.Duration.String()` for a wait, at millisecond precision. */
export function formatGoDuration(ms: number): string {
  const total = Math.ceil(ms);
  if (total <= 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = decimalSeconds(total % 60_000);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** Seconds with up to three decimals and no trailing zeros: `33011.383`, `12`, `0.5`. */
export function decimalSeconds(ms: number): string {
  const total = Math.ceil(ms);
  const whole = Math.floor(total / 1000);
  const frac = total % 1000;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

/** Whole seconds, rounded up (`Retry-After`, "Please wait N seconds"). */
export function wholeSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
