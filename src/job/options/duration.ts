// Durations in job options: '250ms', '30s', '5m', '1h', '1d' or a number of milliseconds.

import { z } from 'zod';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const EXPECTED =
  "a duration like '250ms', '30s', '5m', '1h', '1d' or a positive whole number of milliseconds";

/** `30s`, `5m`, `1h`, `250ms`, `1d` or a positive whole number of milliseconds. */
export const durationSchema = z.union(
  [
    z
      .number({ error: () => `expected ${EXPECTED}` })
      .int({ error: (i) => `expected ${EXPECTED}, got ${String(i.input)}` })
      .positive({ error: (i) => `expected ${EXPECTED}, got ${String(i.input)}` }),
    z
      .string()
      .regex(DURATION, { error: (i) => `expected ${EXPECTED}, got '${String(i.input)}'` })
      .transform((s) => {
        const m = DURATION.exec(s);
        return Number(m?.[1]) * UNIT_MS[(m?.[2] ?? 'ms') as keyof typeof UNIT_MS];
      }),
  ],
  { error: () => `expected ${EXPECTED}` },
);
