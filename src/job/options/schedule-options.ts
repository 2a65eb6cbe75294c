// When `krange schedule` runs a job: a cron expression, in a timezone.

import { z } from 'zod';
import { options } from './strict-options.ts';

export const scheduleSchema = options({
  /** Cron expression (5 fields, or 6 with seconds first), e.g. `*\/5 * * * *`. */
  cron: z.string(),
  /** IANA timezone the expression is read in (`Europe/Paris`); default the machine's. */
  timezone: z.string().optional(),
});
export type ScheduleSpec = z.infer<typeof scheduleSchema>;
