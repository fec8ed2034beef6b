import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  os: string;
  node: string;
  mosquitto: string;
}

/** The machine the numbers come from, as the results file and the README state it. */
export function describeMachine(mosquittoBinary: string): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? 'unknown',
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    mosquitto: mosquittoVersion(mosquittoBinary),
  };
}

function mosquittoVersion(binary: string): string {
  // `mosquitto -h` prints its version (and its usage), whatever its exit code.
  const run = spawnSync(binary, ['-h'], { encoding: 'utf8' });
  const match = /mosquitto version (\S+)/.exec(`${run.stdout ?? ''}${run.stderr ?? ''}`);
  return match?.[1] ?? 'unknown';
}

/** The 1-minute load average: how busy the machine was besides the bench. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function machineLine(machine: Machine): string {
  return `${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gb} GiB RAM, ${machine.os}, Node ${machine.node}, Mosquitto ${machine.mosquitto}`;
}
