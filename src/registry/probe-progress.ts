/**
 * `rotor probe`'s progress. A full probe takes minutes, so a terminal gets one line redrawn in
 * place (`\r`, then erase to the end of the line) with a bar and an ETA; anything else — a pipe,
 * a CI log — gets one plain line per request, which reads well in a log and never fills it with
 * escape codes.
 */
import type { ProbeEvent, ProbeProgress } from './probe.js';
import { formatDuration } from './probe.js';
import { oneLine } from './probe-summary.js';

/** Where progress goes: a TTY gets the redrawn bar. `columns` keeps the line from wrapping. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProbeProgressReporter {
  /** Feed every probe event here. */
  onEvent(event: ProbeEvent): void;
  /** A message line that must not be overwritten by the bar (e.g. a warning). */
  note(text: string): void;
  /** Ends the bar's line (terminal); call before printing results. */
  finish(): void;
}

const BAR_WIDTH = 20;
const ERASE_LINE = '\u001b[K';

export interface ProgressOptions {
  /** Epoch ms, for the countdown while waiting. Default `Date.now`. */
  now?: () => number;
  /** Runs `run` every `ms` until cancelled. Default: an unref'd `setInterval`. */
  every?: (ms: number, run: () => void) => () => void;
}

const realInterval = (ms: number, run: () => void): (() => void) => {
  const timer = setInterval(run, ms);
  timer.unref();
  return () => clearInterval(timer);
};

export function createProgressReporter(
  stream: ProgressStream,
  options: ProgressOptions = {},
): ProbeProgressReporter {
  return stream.isTTY === true
    ? new TerminalProgress(stream, options.now ?? Date.now, options.every ?? realInterval)
    : new PlainProgress(stream);
}

/** `probe [#####---------------] 12/36 33% ETA 1m12s  meta-llama/llama-3.3-8b-instruct:free system` */
export function progressLine(progress: ProbeProgress, detail: string): string {
  const fraction = progress.total === 0 ? 1 : Math.min(1, progress.done / progress.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const eta = progress.etaMs === null ? 'ETA --' : `ETA ${formatDuration(progress.etaMs)}`;
  const percent = `${Math.floor(fraction * 100)}%`;
  return `probe ${bar} ${progress.done}/${progress.total} ${percent} ${eta}  ${detail}`.trimEnd();
}

class TerminalProgress implements ProbeProgressReporter {
  private drawn = false;
  private last: { progress: ProbeProgress; detail: string } | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number,
    private readonly every: (ms: number, run: () => void) => () => void,
  ) {}

  /** Cancels the countdown that is redrawn every second while the probe waits for the rate window. */
  private stopCountdown: (() => void) | undefined;

  onEvent(event: ProbeEvent): void {
    this.stopTicker();
    if (event.type === 'waiting') {
      const since = this.now();
      const { progress, untilMs } = event;
      const drawWait = () => {
        const elapsed = this.now() - since;
        const etaMs = progress.etaMs === null ? null : Math.max(0, progress.etaMs - elapsed);
        this.draw(
          { ...progress, etaMs },
          `waiting ${formatDuration(untilMs - this.now())} for the rate limit`,
        );
      };
      drawWait();
      this.stopCountdown = this.every(1_000, drawWait);
      return;
    }
    const detail = event.type === 'sending' ? `${event.model} ${event.check}` : (this.last?.detail ?? '');
    this.draw(event.progress, detail);
  }

  note(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    if (this.last) this.draw(this.last.progress, this.last.detail);
  }

  finish(): void {
    this.stopTicker();
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
    this.last = undefined;
  }

  private stopTicker(): void {
    this.stopCountdown?.();
    this.stopCountdown = undefined;
  }

  private draw(progress: ProbeProgress, detail: string): void {
    this.last = { progress, detail };
    let line = progressLine(progress, detail);
    const width = this.stream.columns;
    // A wrapped line cannot be redrawn with `\r`: keep it one column short of the terminal.
    if (width !== undefined && width > 1 && line.length >= width) line = `${line.slice(0, width - 2)}…`;
    this.stream.write(`\r${line}${ERASE_LINE}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.stream.write(`\r${ERASE_LINE}`);
  }
}

class PlainProgress implements ProbeProgressReporter {
  constructor(private readonly stream: ProgressStream) {}

  onEvent(event: ProbeEvent): void {
    const { done, total } = event.progress;
    if (event.type === 'sample') {
      const { sample } = event;
      const outcome = sample.ok
        ? `ok ${Math.round(sample.latencyMs)} ms${sample.toolCalled === false ? ' (no tool call)' : ''}`
        : `${sample.failure!.kind}${sample.failure!.status ? ` ${sample.failure!.status}` : ''}: ${oneLine(sample.failure!.message).slice(0, 160)}`;
      this.line(`probe ${done}/${total} ${sample.model} ${sample.check}: ${outcome}`);
    } else if (event.type === 'waiting') {
      this.line(`probe ${done}/${total} waiting until ${clockTime(event.untilMs)} for the rate limit`);
    } else if (event.type === 'skipped') {
      this.line(
        `probe ${done}/${total} ${event.model}: ${event.count} more request(s) skipped (${event.reason})`,
      );
    }
  }

  note(text: string): void {
    this.line(text);
  }

  finish(): void {}

  private line(text: string): void {
    this.stream.write(`${text}\n`);
  }
}

/** `14:03:27`, local time: what a person reading the log compares with their clock. */
function clockTime(epochMs: number): string {
  return new Date(epochMs).toTimeString().slice(0, 8);
}
