import fs from 'node:fs';

const status = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
};
const kbField = (text: string | undefined, field: string) => {
  const m = text && new RegExp(`${field}:\\s+(\\d+) kB`).exec(text);
  return m ? Number(m[1]) / 1024 : undefined;
};

/** Peak resident set size of a process so far (VmHWM), in MB; undefined once it is gone. */
export const peakRssMb = (pid: number): number | undefined => kbField(status(pid), 'VmHWM');

/** Resident set size now (VmRSS), in MB. */
export const rssMb = (pid: number): number | undefined => kbField(status(pid), 'VmRSS');

/** Starts a new peak (VmHWM := VmRSS), so each scenario's peak is its own; false when the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time the process has used so far (user + system), in seconds. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** cpuSeconds for a counter that must be a number: 0 for no process, or one already gone. */
export const cpuSecondsOrZero = (pid: number | undefined): number => (pid ? cpuSeconds(pid) ?? 0 : 0);

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;
