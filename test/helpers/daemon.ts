// Runs `krange schedule` (or any command) as a child process and follows its JSON log lines as they arrive.
import type { ChildProcess } from 'node:child_process';
import { type CliResult, type Started, startCli } from './cli.ts';

export interface LogLine {
  time: number;
  event?: string;
  job?: string;
  iteration?: number;
  status?: string;
  reason?: string;
  durationMs?: number;
  nextRun?: string;
  records?: number;
  msg?: string;
  [k: string]: unknown;
}

export interface Daemon {
  child: ChildProcess;
  done: Promise<CliResult>;
  lines: LogLine[];
  events(name: string): LogLine[];
  until(what: string, cond: (lines: LogLine[]) => boolean, timeoutMs?: number): Promise<void>;
}

export function startDaemon(args: string[], env: Record<string, string>): Daemon {
  return followCli(['schedule', ...args], env);
}

/** Any krange command as a child process, its JSON log lines followed as they arrive. */
export function followCli(args: string[], env: Record<string, string>): Daemon {
  return follow(startCli(args, env), `krange ${args[0]}`);
}

/** A started process (see startCommand), its JSON log lines followed as they arrive. */
export function follow({ child, done }: Started, label: string): Daemon {
  const lines: LogLine[] = [];
  let partial = '';
  child.stderr?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (!p.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  let exited = false;
  void done.then(() => {
    exited = true;
  });
  return {
    child,
    done,
    lines,
    events: (name) => lines.filter((l) => l.event === name),
    async until(what, cond, timeoutMs = 90_000) {
      const end = Date.now() + timeoutMs;
      while (!cond(lines)) {
        if (exited) throw new Error(`${label} exited while waiting for ${what}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
