// How a job is made visible to tools outside krange. Off by default.

import { z } from 'zod';
import { options } from './strict-options.ts';

export const monitoringSchema = options({
  /**
   * After each commit, commit the committed positions to this Kafka consumer group so lag tools
   * (kafka-consumer-groups, Burrow, kafka-lag-exporter) see the job. Written, never read back:
   * krange's state files stay the truth. The group must have no active members.
   */
  commitToGroup: z.string().min(1).optional(),
});
export type MonitoringSpec = z.infer<typeof monitoringSchema>;
