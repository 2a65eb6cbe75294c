// pino logs: pretty on a TTY, JSON lines otherwise (KRANGE_LOG_FORMAT=json|pretty overrides),
// level from KRANGE_LOG_LEVEL (default info). Event names are defined once in log-events.ts.

import pino, { type Logger } from 'pino';

export function createLogger(name = 'krange', opts: { destinationFd?: number } = {}): Logger {
  const level = process.env['KRANGE_LOG_LEVEL'] ?? 'info';
  const fd = opts.destinationFd ?? 2;
  const format = process.env['KRANGE_LOG_FORMAT'] ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    return pino({
      name,
      level,
      transport: {
        target: 'pino-pretty',
        options: {
          destination: fd,
          colorize: true,
          singleLine: true,
          ignore: 'pid,hostname,name',
          translateTime: 'SYS:HH:MM:ss.l',
        },
      },
    });
  }
  return pino({ name, level }, pino.destination({ fd, sync: true }));
}
