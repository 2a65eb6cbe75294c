// Command-line helpers shared by the bench scripts and experiments.

/** The value after `--name`, if given. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A/B variants given as `name=/path/to/copy` (copies made by experiments/snapshot.sh). */
export function variantArgs(args: string[] = process.argv.slice(2)): { name: string; dir: string }[] {
  return args
    .filter((a) => /^[\w.-]+=\//.test(a))
    .map((a) => ({ name: a.slice(0, a.indexOf('=')), dir: a.slice(a.indexOf('=') + 1) }));
}

/** `--env name:VAR=value` (repeatable): extra environment per variant. */
export function variantEnv(argv: string[] = process.argv): Map<string, Record<string, string>> {
  const env = new Map<string, Record<string, string>>();
  argv.forEach((a, i) => {
    const v = argv[i + 1];
    if (a !== '--env' || v === undefined) return;
    const name = v.slice(0, v.indexOf(':'));
    const kv = v.slice(v.indexOf(':') + 1);
    env.set(name, { ...env.get(name), [kv.slice(0, kv.indexOf('='))]: kv.slice(kv.indexOf('=') + 1) });
  });
  return env;
}
