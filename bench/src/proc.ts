import { readFileSync } from 'node:fs';

/** CPU time of a process so far, in clock ticks (user, system): fields 14 and 15 of /proc/<pid>/stat. */
export function parseStatTicks(stat: string): { user: number; system: number } {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) {
    throw new Error(
      `Could not read the CPU times in /proc/<pid>/stat: ${JSON.stringify(stat.slice(0, 120))}.`,
    );
  }
  return { user, system };
}

/** Resident memory now and at its peak, in bytes: VmRSS and VmHWM of /proc/<pid>/status. */
export function parseStatusMemory(status: string): { rss: number; peak: number } {
  const kb = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/<pid>/status has no ${name} line.`);
    return Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Percent of one core used over `wallMs`, from a difference of clock ticks (100 per second on Linux). */
export function cpuPercent(ticks: number, wallMs: number, ticksPerSecond = 100): number {
  return wallMs > 0 ? (ticks / ticksPerSecond / (wallMs / 1000)) * 100 : 0;
}

export interface ProcessSample {
  at: number;
  ticks: number;
  rss: number;
  peak: number;
}

/** Reads a running process's CPU ticks and memory. */
export function sampleProcess(pid: number): ProcessSample {
  const { user, system } = parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const { rss, peak } = parseStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { at: performance.now(), ticks: user + system, rss, peak };
}

export interface LoadFigures {
  /** Percent of one core, averaged over the window (200 = both cores of a 2-core machine). */
  cpuPercent: number;
  /** Highest VmRSS sampled in the window, bytes. */
  rssMax: number;
  /** VmRSS at the end of the window, bytes. */
  rssEnd: number;
}

/** Samples a process every `everyMs` from start() to stop(): its CPU over the window and its RSS. */
export class LoadSampler {
  private first: ProcessSample | null = null;
  private last: ProcessSample | null = null;
  private rssMax = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.first = this.take();
    this.timer = setInterval(() => this.take(), this.everyMs);
  }

  stop(): LoadFigures {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const last = this.take();
    const first = this.first ?? last;
    return {
      cpuPercent: cpuPercent(last.ticks - first.ticks, last.at - first.at),
      rssMax: this.rssMax,
      rssEnd: last.rss,
    };
  }

  private take(): ProcessSample {
    const sample = sampleProcess(this.pid);
    this.rssMax = Math.max(this.rssMax, sample.rss);
    this.last = sample;
    return sample;
  }

  get latest(): ProcessSample | null {
    return this.last;
  }
}
