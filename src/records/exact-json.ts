// JSON with exact 64-bit integers: JSON.parse rounds an integer beyond 2^53 (a snowflake id, a
// nanosecond time) before anyone sees it. Such a number has at least 16 digits in a row, so a text
// without a 16-digit run goes to JSON.parse untouched; a text with one is parsed by lossless-json,
// and each integer that is not a safe integer becomes a BigInt holding the digits as written. Every
// other number stays a JavaScript number.

import { parse } from 'lossless-json';

const INTEGER = /^-?\d+$/;
const RUN = 16;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Whether the text holds 16 digits in a row. Any such run covers exactly one position p with
 * p % 16 === 15, so only those are probed and a run is measured around a digit found there: about
 * a sixteenth of the characters are read (a regex scan of every position cost 4x as much, a
 * quarter of JSON.parse's time on W1 events).
 */
export function hasLongDigitRun(s: string): boolean {
  const n = s.length;
  for (let p = RUN - 1; p < n; p += RUN) {
    if (!isDigit(s.charCodeAt(p))) continue;
    let a = p;
    while (a > 0 && p - a < RUN - 1 && isDigit(s.charCodeAt(a - 1))) a--;
    let b = p + 1;
    while (b < n && b - a < RUN && isDigit(s.charCodeAt(b))) b++;
    if (b - a >= RUN) return true;
  }
  return false;
}

function exactNumber(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) || !INTEGER.test(text) ? n : BigInt(text);
}

/** JSON.parse, except that integers beyond +-(2^53 - 1) come back as exact BigInts. */
export function parseJsonExact(text: string): unknown {
  return hasLongDigitRun(text) ? parse(text, null, exactNumber) : JSON.parse(text);
}
