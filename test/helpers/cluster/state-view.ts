// A job's state files read as a person would, without krange: from a directory on this machine, or
// from a state store on HDFS with plain WebHDFS requests (OPEN, LISTSTATUS). The cluster tests read
// plans, commits, attempts and lock claims through it wherever the hosts keep their state.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StateView {
  /** Where the job's state lives, for messages. */
  readonly where: string;
  /** A file of the job's state (`commits/0.json`), parsed. */
  readJson(rel: string): Promise<unknown>;
  /** File names in a folder of the job's state ([] when it does not exist). */
  list(rel: string): Promise<string[]>;
}

/** `<dir>/<job>/` on this machine (KRANGE_STATE_DIR). */
export function localStateView(dir: string, job: string): StateView {
  const root = join(dir, job);
  return {
    where: root,
    readJson: async (rel) => JSON.parse(readFileSync(join(root, rel), 'utf8')),
    list: async (rel) => {
      try {
        return readdirSync(join(root, rel));
      } catch {
        return [];
      }
    },
  };
}

/** `<root>/<job>/` on the shared HDFS (KRANGE_STATE_URL=webhdfs://<root>). */
export function webhdfsStateView(root: string, job: string): StateView {
  const base = `${process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870'}/webhdfs/v1${root}/${job}`;
  return {
    where: `webhdfs://${root}/${job}`,
    readJson: async (rel) => {
      const res = await fetch(`${base}/${rel}?op=OPEN&user.name=krange`);
      if (!res.ok) throw new Error(`OPEN ${root}/${job}/${rel}: HTTP ${res.status}`);
      return JSON.parse(await res.text());
    },
    list: async (rel) => {
      const res = await fetch(`${base}/${rel}?op=LISTSTATUS&user.name=krange`);
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`LISTSTATUS ${root}/${job}/${rel}: HTTP ${res.status}`);
      const body = (await res.json()) as { FileStatuses: { FileStatus: { pathSuffix: string }[] } };
      return body.FileStatuses.FileStatus.map((s) => s.pathSuffix);
    },
  };
}
