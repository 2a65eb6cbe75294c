// When `krange schedule` runs a job: a cron expression, in a timezone.

import { validate } from 'node-cron';
import { z } from 'zod';
import { options } from './strict-options.ts';

export const scheduleSchema = options({
  /** Cron expression (5 fields, or 6 with seconds first), e.g. `*\/5 * * * *`. */
  cron: z.string().refine((cron) => validate(cron), {
    error: (i) =>
      `'${String(i.input)}' is not a cron expression (5 fields, or 6 with seconds first: '*/5 * * * *', '*/30 * * * * *')`,
  }),
  /** IANA timezone the expression is read in (`Europe/Paris`); default the machine's. */
  timezone: z
    .string()
    .refine((tz) => tz === 'UTC' || Intl.supportedValuesOf('timeZone').includes(tz), {
      error: (i) => `unknown timezone '${String(i.input)}' (an IANA name such as 'Europe/Berlin' or 'UTC')`,
    })
    .optional(),
});
export type ScheduleSpec = z.infer<typeof scheduleSchema>;
