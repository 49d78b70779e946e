import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time of a process (user + system), in clock ticks, from /proc. */
function ticksOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function machineTicks(): { idle: number; all: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3]! + fields[4]!, all: fields.reduce((sum, value) => sum + value, 0) };
}

const childrenOf = (pid: number) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
const redisPid = () => Number(spawnSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).stdout.split('\n')[0] || 0);

export interface CpuShare {
  /** Cores used by the Portvakt process and its workers over the measurement. */
  portvakt_cores: number;
  redis_cores: number;
  /** This process: the load generator. */
  load_generator_cores: number;
  machine_idle_pct: number;
}

/**
 * Where the CPU went while `work` ran: the server (process `pid` and its cluster workers), Redis,
 * this process (the load generator) and what was left idle. For reading a scaling ratio: a second
 * worker can only add what the machine had idle.
 */
export async function measureCpu<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpu: CpuShare }> {
  const pids = [pid, ...childrenOf(pid)];
  const redis = redisPid();
  const machine0 = machineTicks();
  const own0 = process.cpuUsage();
  const server0 = pids.map(ticksOf);
  const redis0 = redis ? ticksOf(redis) : 0;
  const result = await work();
  const machine1 = machineTicks();
  const own = process.cpuUsage(own0);
  const elapsedTicksPerCore = (machine1.all - machine0.all) / (machineTicksCores() || 1);
  const cores = (ticks: number) => Math.round((ticks / elapsedTicksPerCore) * 100) / 100;
  const serverTicks = pids.map(ticksOf).reduce((sum, value, i) => sum + value - server0[i]!, 0);
  const elapsedSeconds = elapsedTicksPerCore / 100;
  return {
    result,
    cpu: {
      portvakt_cores: cores(serverTicks),
      redis_cores: redis ? cores(ticksOf(redis) - redis0) : 0,
      load_generator_cores: Math.round(((own.user + own.system) / 1e6 / elapsedSeconds) * 100) / 100,
      machine_idle_pct: Math.round((100 * (machine1.idle - machine0.idle)) / (machine1.all - machine0.all)),
    },
  };
}

function machineTicksCores(): number {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d+ /.test(line)).length;
}
