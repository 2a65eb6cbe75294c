// Time values of the schema contract: ISO-8601 text -> epoch milliseconds (the common shapes by hand,
// the rest by Date.parse, with the same results), and epoch values in a unit -> ISO-8601 text for
// sinks that store timestamps as text (Redis).

/** Two ASCII digits at i as a number, or -1. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * `YYYY-MM-DDTHH:MM:SS(.f+)?(Z|±HH:MM)` with every field in range, by hand; NaN for anything else
 * (the caller then asks Date.parse, which decides those shapes exactly as before).
 */
function fastIsoMs(s: string): number {
  const n = s.length;
  if (n < 20 || n > 40) return Number.NaN;
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return Number.NaN;
  const y1 = digits2(s, 0);
  const y2 = digits2(s, 2);
  const mo = digits2(s, 5);
  const d = digits2(s, 8);
  const h = digits2(s, 11);
  const mi = digits2(s, 14);
  const sec = digits2(s, 17);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59)
    return Number.NaN;
  if (sec < 0 || sec > 59) return Number.NaN;
  const y = y1 * 100 + y2;
  if (d > 28 && d > daysInMonth(y, mo)) return Number.NaN;
  let p = 19;
  let frac = 0;
  if (s.charCodeAt(p) === 46) {
    // '.': one or more digits, milliseconds are the first three (the rest is cut off, as V8 does)
    p++;
    const start = p;
    while (p < n) {
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 9) break;
      const k = p - start;
      if (k < 3) frac += c * (k === 0 ? 100 : k === 1 ? 10 : 1);
      p++;
    }
    if (p === start) return Number.NaN;
  }
  const z = s.charCodeAt(p);
  let offsetMin = 0;
  if (z === 90) {
    // 'Z'
    if (p + 1 !== n) return Number.NaN;
  } else if (z === 43 || z === 45) {
    // '+' / '-' HH:MM
    if (p + 6 !== n || s.charCodeAt(p + 3) !== 58) return Number.NaN;
    const oh = digits2(s, p + 1);
    const om = digits2(s, p + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMin = oh * 60 + om;
    if (z === 45) offsetMin = -offsetMin;
  } else return Number.NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + (mi - offsetMin) * 60_000 + sec * 1000 + frac;
}

/** Date.parse(s), with the common ISO-8601 shapes parsed by hand (same results). */
export function parseTimestampMs(s: string): number {
  const ms = fastIsoMs(s);
  return Number.isNaN(ms) ? Date.parse(s) : ms;
}

const PER_SECOND = { s: 1n, ms: 1000n, us: 1_000_000n, ns: 1_000_000_000n } as const;

/**
 * An epoch value in `unit` (a checked schema value: number or bigint) as ISO-8601 UTC text with the
 * unit's precision (`...:05Z`, `.123Z`, `.123456Z`, `.123456789Z`).
 */
export function formatTimestamp(v: number | bigint, unit: keyof typeof PER_SECOND): string {
  const per = PER_SECOND[unit];
  const b = BigInt(v);
  let sec = b / per;
  let frac = b % per;
  if (frac < 0n) {
    frac += per;
    sec -= 1n;
  }
  const iso = new Date(Number(sec) * 1000).toISOString(); // ...:SS.000Z
  const whole = iso.slice(0, iso.length - 5);
  if (unit === 's') return `${whole}Z`;
  const digits = unit === 'ms' ? 3 : unit === 'us' ? 6 : 9;
  return `${whole}.${frac.toString().padStart(digits, '0')}Z`;
}
