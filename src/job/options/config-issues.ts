// Turns zod's issues into one line per problem with its path. A union (`onBadRecord`, `partitionBy`,
// a measure) reports the problems of the alternative the input came closest to, not `Invalid input`.

import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

function isRootMismatch(issue: Issue, depth: number): boolean {
  return issue.path.length === depth && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
}

/** The issues of the union alternative that got furthest: not a type mismatch at its root, fewest problems. */
function closestAlternative(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | undefined {
  const candidates = issue.errors.filter((branch) => !branch.every((i) => isRootMismatch(i, 0)));
  if (candidates.length === 0) return undefined;
  return candidates.reduce((best, b) => (b.length < best.length ? b : best));
}

function flatten(issues: readonly Issue[], prefix: Path): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = closestAlternative(issue);
      if (branch !== undefined) {
        out.push(...flatten(branch, path));
        continue;
      }
      // No alternative fits even in type: say what each expected.
      const expected = [
        ...new Set(issue.errors.flat().map((i) => i.message.replace(/^Invalid input: /, ''))),
      ];
      out.push({ path, message: `Invalid input: ${expected.join(' | ')}` });
      continue;
    }
    out.push({ path, message: issue.message });
  }
  return out;
}

/** `  - sinks.0.partitionBy: unknown option 'feild': did you mean 'field'?` lines. */
export function describeIssues(issues: readonly Issue[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const { path, message } of flatten(issues, [])) {
    const line = `${path.map(String).join('.') || '(job)'}: ${message}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  return lines;
}
