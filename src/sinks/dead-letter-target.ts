// Where a job's bad records go under `onBadRecord: { deadLetter }`: a file per range or a topic.

import type { OffsetRange } from '../offset-range.ts';
import type { BadRecord } from '../records/record.ts';

export interface DeadLetterTarget {
  /**
   * Writes the bad records of one range (a task's, after its sinks committed), replacing what an
   * earlier read of the same range wrote.
   */
  write(job: string, range: OffsetRange, records: BadRecord[]): Promise<void>;
  close(): Promise<void>;
}
