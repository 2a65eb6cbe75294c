// Redis key templates (`user:{user_id}`, `{topic}:{partition}:{offset}`), parsed once: the job's
// options validate a template with it, the Redis sink renders keys from the parsed parts. Pure, so
// the job layer can check a template without loading the sink.

export type KeyTemplatePart = { literal: string } | { field: string };

export interface KeyTemplate {
  source: string;
  parts: KeyTemplatePart[];
  fields: string[];
}

/**
 * Parses `{field}` placeholders; `{{` and `}}` stand for literal braces (for Redis Cluster hash tags:
 * `cart:{{{user_id}}}` gives `cart:{42}`). Throws an Error naming the problem.
 */
export function compileKeyTemplate(source: string): KeyTemplate {
  const parts: KeyTemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      lit += c;
      i += 2;
    } else if (c === '{') {
      const close = source.indexOf('}', i + 1);
      const name = close < 0 ? '' : source.slice(i + 1, close);
      if (close < 0 || name === '' || name.includes('{')) {
        throw new Error(`unclosed or empty placeholder at position ${i} (write '{{' for a literal '{')`);
      }
      if (lit !== '') parts.push({ literal: lit });
      lit = '';
      parts.push({ field: name });
      i = close + 1;
    } else if (c === '}') {
      throw new Error(`unmatched '}' at position ${i} (write '}}' for a literal '}')`);
    } else {
      lit += c;
      i++;
    }
  }
  if (lit !== '') parts.push({ literal: lit });
  return { source, parts, fields: parts.flatMap((p) => ('field' in p ? [p.field] : [])) };
}

/** The template's problem, or undefined when it is valid (for option validation). */
export function keyTemplateError(source: string): string | undefined {
  try {
    compileKeyTemplate(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
