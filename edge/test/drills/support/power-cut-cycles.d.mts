export interface PowerCutStats {
  cycles: number;
  killedDuringStart: number;
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
  /** The share of kills that come during the start instead (default 0.15). */
  startKillShare?: number;
  onCycle?: (cycle: number, stats: PowerCutStats, problems: string[]) => void;
}

export function runPowerCutCycles(
  options: PowerCutOptions,
): Promise<{ stats: PowerCutStats; problems: string[] }>;
