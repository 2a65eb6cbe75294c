// Runs the krange CLI as a child process, as a user would.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('bin/krange.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export function startCli(args: string[], env: Record<string, string> = {}): Started {
  return startCommand(process.execPath, [BIN, ...args], env);
}

/** Any command, its output collected like the CLI's (the cluster tests wrap krange in `ip netns exec`). */
export function startCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  opts: { cwd?: string; detached?: boolean } = {},
): Started {
  const child = spawn(command, args, {
    env: { ...process.env, KRANGE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((res) => {
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** The structured (JSON) log lines in a CLI's output, for tests that wait for events, not text. */
export function logLines(output: string): { event?: string; [k: string]: unknown }[] {
  const out: { event?: string; [k: string]: unknown }[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as { event?: string });
    } catch {
      // not a log line
    }
  }
  return out;
}
