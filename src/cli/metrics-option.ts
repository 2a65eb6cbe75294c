// The --metrics-host/--metrics-port/--no-metrics options of the long-running commands, and the
// server they start (metrics/metrics-server.ts).

import type { Command } from 'commander';
import type { Logger } from 'pino';

export interface MetricsFlags {
  metrics: boolean;
  metricsHost: string;
  metricsPort: number;
}

export function addMetricsOptions(cmd: Command, defaultPort: number): Command {
  return cmd
    .option('--metrics-host <host>', 'address of the /metrics endpoint', '127.0.0.1')
    .option(
      '--metrics-port <port>',
      'port of the /metrics endpoint (0: any free port)',
      (v: string) => Number.parseInt(v, 10),
      defaultPort,
    )
    .option('--no-metrics', 'do not serve /metrics');
}

/** Starts /metrics unless --no-metrics; returns a close function (a no-op when not serving). */
export async function serveMetrics(flags: MetricsFlags, logger: Logger): Promise<() => Promise<void>> {
  if (!flags.metrics) return async () => undefined;
  const { startMetricsServer } = await import('../metrics/metrics-server.ts');
  const server = await startMetricsServer({ host: flags.metricsHost, port: flags.metricsPort, logger });
  return server?.close ?? (async () => undefined);
}
