// `krange serve`: starts the web console (console/console-server.ts) and runs until SIGTERM/SIGINT.
// Prints the URL on stdout (`make run-job` shows it). Actions need KRANGE_CONSOLE_TOKEN.

import type { Command } from 'commander';
import type { Logger } from 'pino';

export async function serveCommand(flags: { host: string; port: number }, logger: Logger): Promise<void> {
  const token = process.env['KRANGE_CONSOLE_TOKEN'] || undefined;
  const { startConsole } = await import('../../console/console-server.ts');
  const c = await startConsole({ host: flags.host, port: flags.port, logger, token });
  process.stdout.write(
    `krange console at ${c.url}/ (metrics at ${c.url}/metrics)${token ? '' : '; actions disabled: set KRANGE_CONSOLE_TOKEN'}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await c.close();
}

export function registerServeCommand(program: Command, logger: Logger): void {
  program
    .command('serve')
    .description('web console: jobs, iterations, lag, aggregates, actions; and /metrics for every job')
    .option(
      '--host <host>',
      'address to listen on (any other than loopback needs KRANGE_CONSOLE_TOKEN)',
      '127.0.0.1',
    )
    .option('-p, --port <port>', 'port (0: any free port)', (v: string) => Number.parseInt(v, 10), 9410)
    .action((flags: { host: string; port: number }) => serveCommand(flags, logger));
}
