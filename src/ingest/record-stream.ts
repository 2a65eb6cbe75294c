// Splits a v3 produce body into its records: the REST Proxy streams records as concatenated JSON
// (`{...}{...}` or one per line). Each value's extent is found by scanning brackets and strings, so
// one malformed record is reported at its index and the records after it are still read.

export type StreamItem =
  | { ok: true; value: unknown }
  | { ok: false; reason: string /** 0-based character offset where the value starts. */; at: number };

// Character codes: scanning with charCodeAt avoids a one-character string per position.
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJ = 123;
const CLOSE_OBJ = 125;
const OPEN_ARR = 91;
const CLOSE_ARR = 93;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** End (exclusive) of the JSON value starting at `start`, or -1 when the text ends inside it. */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return stringEnd(text, start);
  if (first !== OPEN_OBJ && first !== OPEN_ARR) {
    // A bare scalar (number, true, null...) runs until whitespace or the next container.
    let i = start;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isSpace(c) || c === OPEN_OBJ || c === OPEN_ARR) break;
    }
    return i;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const e = stringEnd(text, i);
      if (e < 0) return -1;
      i = e - 1;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) depth++;
    else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** Every JSON value of the body in order; an empty body gives no items. */
export function splitRecordStream(text: string): StreamItem[] {
  const items: StreamItem[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) return items;
    const end = valueEnd(text, i);
    if (end < 0) {
      items.push({
        ok: false,
        reason: 'the body ends inside this record (unbalanced brackets or quotes)',
        at: i,
      });
      return items;
    }
    const slice = text.slice(i, end);
    try {
      items.push({ ok: true, value: JSON.parse(slice) });
    } catch (err) {
      items.push({ ok: false, reason: `malformed JSON: ${(err as Error).message}`, at: i });
    }
    i = end;
  }
}
