/**
 * Child processes for the benchmark: each server runs in its own process (its own event loop, its
 * own RSS), bound to 127.0.0.1 where it lets us choose, and is stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = 'dist/cli/main.js';
export const PRIMARY = 'meta-llama/llama-3.3-8b-instruct:free';

/** A free TCP port on loopback (closed again at once; the child binds it a moment later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const KEEP_BYTES = 8192;

/**
 * Start `node <args>` and wait until `readyUrl` answers any HTTP status.
 * `stdout: 'ignore'` sends stdout to /dev/null (used for a logging gateway, so the pipe costs nothing).
 */
export async function startNode({
  name,
  args,
  env = {},
  readyUrl,
  stdout = 'pipe',
  nodeOptions = [],
  timeoutMs = 30_000,
}) {
  const child = spawn(process.execPath, [...nodeOptions, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString('utf8')).slice(-KEEP_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start (${JSON.stringify(exited)}):\n${tail}`);
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} not ready at ${readyUrl} after ${timeoutMs} ms:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    name,
    pid: child.pid,
    get output() {
      return tail;
    },
    get exited() {
      return exited;
    },
    /** SIGTERM (graceful), then SIGKILL after `graceMs`. Resolves with the exit status. */
    async stop(graceMs = 8000) {
      if (exited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, graceMs);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Resident set size now and its peak since start or the last `resetPeak()`, in MB (from /proc). */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: Number.NaN, peakMb: Number.NaN };
  }
}

/** CPU time (user + system) a process has used so far, ms, from /proc/<pid>/stat (10 ms ticks). */
export function cpuTimeMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 3, utime 14, stime 15 (1-based) -> indexes 11, 12 here
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100;

/** Reset the kernel's peak-RSS mark (VmHWM) of a process; false where the kernel does not allow it. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Sample VmRSS every `everyMs` until stopped; returns the highest seen (a fallback where VmHWM cannot be reset). */
export function sampleRss(pid, everyMs = 100) {
  let max = 0;
  const take = () => {
    const { rssMb } = memoryOf(pid);
    if (rssMb > max) max = rssMb;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return max;
    },
  };
}

/** The machine, for the results header. */
export async function machineInfo() {
  const os = await import('node:os');
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
