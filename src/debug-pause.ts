/**
 * A test hook shared by the driver and the sinks: crash and fault tests set a `KRANGE_DEBUG_PAUSE_*_MS`
 * variable to hold the process at a named step (between the last rename and the commit, between a
 * task's upload and its renames) while they kill or fence it. Unset or 0: no pause.
 */
export async function debugPause(variable: string): Promise<void> {
  const ms = Number(process.env[variable] ?? '0');
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}
