// The final files under an HDFS directory with their inode ids, read with plain WebHDFS LISTSTATUS
// requests (not krange's client). A rename keeps the renamed file's id, so a file renamed over a
// final name, even with the same bytes, shows up as a new id for that name.

interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY';
  fileId: number;
}

async function list(base: string, dir: string): Promise<FileStatus[]> {
  const res = await fetch(`${base}/webhdfs/v1${dir}?op=LISTSTATUS&user.name=krange`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`LISTSTATUS ${dir}: HTTP ${res.status}`);
  return ((await res.json()) as { FileStatuses: { FileStatus: FileStatus[] } }).FileStatuses.FileStatus;
}

/** name (relative to dir) -> fileId of every file outside `_temporary`. */
export async function finalFileIds(dir: string): Promise<Record<string, number>> {
  const base = process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';
  const out: Record<string, number> = {};
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const s of await list(base, d)) {
      if (s.pathSuffix === '_temporary') continue;
      const rel = prefix ? `${prefix}/${s.pathSuffix}` : s.pathSuffix;
      if (s.type === 'DIRECTORY') await walk(`${d}/${s.pathSuffix}`, rel);
      else out[rel] = s.fileId;
    }
  };
  await walk(dir, '');
  return out;
}
