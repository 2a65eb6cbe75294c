// How a failed command reports itself: the message (what happened, where, what to do) with its code
// on the first line, and no stack trace unless KRANGE_LOG_LEVEL=debug asks for one (then with the
// chain of causes). An error krange did not expect says so and how to get the details.

import type { KrangeError } from '../errors.ts';

function causes(err: unknown): string {
  const out: string[] = [];
  let c = (err as { cause?: unknown }).cause;
  for (let depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    out.push(`caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`);
    c = (c as { cause?: unknown }).cause;
  }
  return out.join('\n');
}

export function describeFailure(err: KrangeError, debug: boolean): string {
  const unexpected = err.code === 'KRANGE_INTERNAL';
  const text = unexpected
    ? `unexpected error: ${err.message}; this is a krange bug: rerun with KRANGE_LOG_LEVEL=debug for the stack trace and report it`
    : err.message;
  const newline = text.indexOf('\n');
  const first = newline < 0 ? text : text.slice(0, newline);
  const rest = newline < 0 ? '' : text.slice(newline);
  const head = `krange: ${first} [${err.code}]${rest}`;
  if (!debug) return head;
  return [head, err.stack ?? '', causes(err)].filter((s) => s !== '').join('\n');
}
