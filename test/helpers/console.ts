// Runs `krange serve` as a child process on a free port and returns its URL.
import { type CliResult, startCli } from './cli.ts';
import { until } from './until.ts';

export interface ConsoleProcess {
  url: string;
  stop: () => Promise<CliResult>;
}

export async function startConsole(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ConsoleProcess> {
  const { child, done } = startCli(['serve', '--port', '0', ...args], env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let exited: CliResult | undefined;
  void done.then((r) => {
    exited = r;
  });
  await until(
    'the console URL',
    () => {
      if (exited) throw new Error(`krange serve exited ${exited.code}: ${exited.stderr}`);
      return /console at (http:\/\/\S+?)\/? /.test(out);
    },
    60_000,
  );
  const url = /console at (http:\/\/\S+?)\/? /.exec(out)![1]!;
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      return done;
    },
  };
}
