// A usage error (missing argument, unknown option, bad option value) exits 2 as the README and
// `--help` say, from every command, with commander's explanation; help itself exits 0.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';

const USAGE_ERRORS: [string[], RegExp][] = [
  [['run'], /missing required argument 'job'/],
  [['run', 'x', '--bogus'], /unknown option '--bogus'/],
  [['run', 'x', '--workers', 'abc'], /--workers must be a whole number/],
  [['plan'], /missing required argument 'job'/],
  [['plan', 'x', '--jsn'], /unknown option '--jsn'/],
  [['state'], /missing required argument 'job'/],
  [['rerun', 'x'], /required option '-i, --iteration <n>' not specified/],
  [['rerun', 'x', '--iteration', '-3'], /--iteration must be a whole number/],
  [['reset'], /missing required argument 'job'/],
  [['produce-demo', '-n', 'many'], /--records must be a whole number/],
  [['schedule', '--grace', 'soon'], /--grace must be a whole number/],
  [['aggregate'], /missing required argument 'job'/],
  [['aggregate', 'x', '--stauts'], /unknown option '--stauts'/],
  [['jobs', '--all'], /unknown option '--all'/],
  [['ingest', '--port', 'x'], /--port must be a whole number/],
  [['push'], /required option|missing required argument/],
  [['serve', '--bogus'], /unknown option '--bogus'/],
  [['no-such-command'], /unknown command 'no-such-command'/],
];

describe('usage errors', () => {
  it.each(USAGE_ERRORS)('krange %j exits 2 and says why', async (args, why) => {
    const r = await cli(args);
    expect(r.stderr).toMatch(why);
    expect(r.code).toBe(2);
  });

  it('help exits 0', async () => {
    expect((await cli(['--help'])).code).toBe(0);
    expect((await cli(['run', '--help'])).code).toBe(0);
  });
});
