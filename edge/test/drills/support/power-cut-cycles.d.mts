export interface PowerCutStats {
  cycles: number;
  /** Kills aimed at the start (within 10 ms of the go). */
  killedDuringStart: number;
  /** Runs killed before the start of the run was written (no E line). */
  startsCut: number;
  /** Readings the database refused (held in memory, lost at the kill): only when the store reported an error. */
  held: number;
  committed: number;
  delivered: number;
  commands: number;
  ota: number;
  epochs: number;
  deliveredDistinct: number;
}

export interface PowerCutOptions {
  dataDir: string;
  cycles: number;
  /** A kill comes at a random moment up to this long after the store is open (default 60 ms). */
  maxKillMs?: number;
  /** The share of kills aimed at the start instead, within 10 ms of it (default 0.15). */
  startKillShare?: number;
  onCycle?: (cycle: number, stats: PowerCutStats, problems: string[]) => void;
}

export function runPowerCutCycles(
  options: PowerCutOptions,
): Promise<{ stats: PowerCutStats; problems: string[] }>;
