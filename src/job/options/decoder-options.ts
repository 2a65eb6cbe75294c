// How a record's value bytes become the value the transform sees: a built-in decoder by name, or
// a custom one.

import { z } from 'zod';
import { fn, options } from './strict-options.ts';

const customDecoderSchema = options({
  /** Shown in errors and state. */
  name: z.string(),
  /** value bytes (null for a tombstone) -> decoded value; a throw makes the record bad. */
  decode: fn<(value: Buffer | null) => unknown>('decoder.decode'),
  /** Awaited with a batch's values before they are decoded (schema fetches); optional. */
  prepare: fn<(values: (Buffer | null)[]) => Promise<void>>('decoder.prepare').optional(),
});

/** `json` (default), `string`, `bytes`, or `{ name, decode }`. */
export const decoderSchema = z
  .union([z.enum(['json', 'string', 'bytes']), customDecoderSchema])
  .default('json');
