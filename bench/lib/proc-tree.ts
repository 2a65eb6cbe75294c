// Runs a command and measures it the way a user would see it: wall time from spawn to exit, and
// the peak resident memory of the whole process tree (the process and every descendant), sampled
// from /proc. krange's worker threads live in its own pid, Spark is one JVM; children are summed
// anyway so a forked helper cannot hide.

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak of the summed RSS of the tree, bytes (sampled every `sampleMs`). */
  peakRssBytes: number;
  /** Peak RSS of the spawned process alone, bytes. */
  peakMainRssBytes: number;
  /**
   * CPU time (user + system) of the process and of every descendant it waited for, ms: the growth of
   * this process's own cutime + cstime across the run (the kernel adds a child's times, its waited-for
   * descendants' included, when the child is reaped). Exact when it is the only child running here;
   * 10 ms resolution.
   */
  cpuMs: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  sampleMs?: number;
  /** Kills the tree after this long (the result then has a signal). */
  timeoutMs?: number;
}

const PAGE = 4096;

/** pid -> parent pid of every process now running. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, Number(rest[1]));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function rssOf(pid: number): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(statm[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** The pids of the tree under `root` (itself included). */
export function treeOf(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) {
    const list = byParent.get(ppid) ?? [];
    list.push(pid);
    byParent.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/** user + system time of this process's reaped children (cutime + cstime), ms. */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), in clock ticks of 10 ms (USER_HZ is 100 on Linux).
  return (Number(rest[13]) + Number(rest[14])) * 10;
}

export function treeRss(root: number): number {
  return treeOf(root).reduce((s, pid) => s + rssOf(pid), 0);
}

const MAX_CAPTURE = 4 * 1024 * 1024;

/** Process groups started here and not yet exited: ended with the harness if it is interrupted. */
const live = new Set<number>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const pgid of live) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

export interface Measured {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is drained. */
  done: Promise<RunResult>;
}

export function runMeasured(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return startMeasured(command, args, opts).done;
}

/** Starts a command under measurement; the caller may signal `child` (e.g. SIGTERM a daemon). */
export function startMeasured(command: string, args: string[], opts: RunOptions = {}): Measured {
  const sampleMs = opts.sampleMs ?? 100;
  let child!: ChildProcess;
  const done = new Promise<RunResult>((resolve, reject) => {
    const started = performance.now();
    const cpuBefore = childrenCpuMs();
    child = spawn(command, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout can end the whole tree
    });
    if (child.pid !== undefined) live.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += c.toString('utf8');
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += c.toString('utf8');
    });
    let peak = 0;
    let peakMain = 0;
    const sample = (): void => {
      if (child.pid === undefined) return;
      peak = Math.max(peak, treeRss(child.pid));
      peakMain = Math.max(peakMain, rssOf(child.pid));
    };
    const timer = setInterval(sample, sampleMs);
    const killer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (err) => {
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      const wallMs = performance.now() - started;
      const cpuMs = childrenCpuMs() - cpuBefore;
      if (child.pid !== undefined) live.delete(child.pid);
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      // stdout may still be draining after exit: wait for close before resolving.
      child.on('close', () =>
        resolve({
          command: [command, ...args].join(' '),
          code,
          signal,
          wallMs,
          peakRssBytes: peak,
          peakMainRssBytes: peakMain,
          cpuMs,
          stdout,
          stderr,
        }),
      );
    });
  });
  return { child, done };
}

/** Throws with the tail of stderr when the command failed. */
export function assertOk(r: RunResult, what: string): RunResult {
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).split('\n').slice(-25).join('\n');
    throw new Error(`${what} failed (exit ${r.code ?? r.signal}):\n${tail}`);
  }
  return r;
}
