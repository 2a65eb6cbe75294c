// Parsers of option values shared by the commands: a usage error (exit 2) names the option.

import { InvalidArgumentError } from 'commander';
import { type ExecutorsKind, executorsSchema } from '../job/options/executors-options.ts';

/** 0, 1, 2, ... */
export function wholeNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

/** 1, 2, 3, ... */
export function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive whole number`);
    return n;
  };
}

/** --executors of run and rerun. */
export function executorsKind(v: string): ExecutorsKind {
  const parsed = executorsSchema.safeParse(v);
  if (!parsed.success) throw new InvalidArgumentError('--executors must be threads or bullmq');
  return parsed.data;
}
