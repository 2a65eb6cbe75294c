// A pino logger that keeps its JSON lines in memory, for tests that drive a component in-process
// and assert the structured events it logs (the same lines the CLI writes), never message text.
import pino, { type Logger } from 'pino';
import { logLines } from './cli.ts';

export type LogEvent = { event?: string; [k: string]: unknown };

export interface CapturedLog {
  logger: Logger;
  /** The lines logged so far with this event name (src/log-events.ts). */
  events(name: string): LogEvent[];
  /** Waits until an event of this name (matching `where`) was logged; returns it. */
  waitFor(name: string, timeoutMs?: number, where?: (l: LogEvent) => boolean): Promise<LogEvent>;
}

export function captureLog(level = 'debug'): CapturedLog {
  let text = '';
  const logger = pino(
    { level },
    {
      write: (line: string) => {
        text += line;
      },
    },
  );
  const events = (name: string) => logLines(text).filter((l) => l.event === name);
  return {
    logger,
    events,
    async waitFor(name, timeoutMs = 30_000, where = () => true) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events(name).find(where);
        if (hit !== undefined) return hit;
        if (Date.now() > deadline)
          throw new Error(`no ${name} event within ${timeoutMs} ms:\n${text.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
