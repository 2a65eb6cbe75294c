// `krange serve`: starts the web console (console/console-server.ts) and runs until SIGTERM/SIGINT.
// Prints the URL on stdout (`make run-job` shows it). Actions need KRANGE_CONSOLE_TOKEN.

import type { Logger } from 'pino';
import { startConsole } from '../../console/console-server.ts';

export async function serveCommand(flags: { host: string; port: number }, logger: Logger): Promise<void> {
  const token = process.env['KRANGE_CONSOLE_TOKEN'] || undefined;
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
