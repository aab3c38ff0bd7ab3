import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/**
 * How busy the CPUs were while a run measured, to tell a client that stalled on its own work from
 * one that waited for a CPU: on a shared host (or beside the server) a stamping thread that is
 * ready to run can wait a scheduler slice, several milliseconds, and every token stamp with it.
 * Inside a container the host's figures are the node's; the cgroup's throttling is the pod's own
 * limit at work.
 */
export interface CpuSnapshot {
  wallNs: bigint;
  /** This process, every thread (us). */
  process: NodeJS.CpuUsage;
  /** The host's CPU time (ms) summed over its CPUs, busy and in total. */
  host?: { busyMs: number; totalMs: number; cpus: number };
  cgroup?: CgroupCpu;
}

/** A cgroup's CPU limit and throttling counters (v2 cpu.stat / cpu.max, or v1's cfs files). */
export interface CgroupCpu {
  /** The quota in cores (cpu.max / cfs_quota_us), when one is set. */
  limitCores?: number;
  periods: number;
  throttledPeriods: number;
  throttledUs: number;
}

export interface CpuUse {
  /** CPU this process used, in cores (its CPU time over the wall time). */
  processCores: number;
  /** CPUs the host has (os.cpus), and how many this process may use (os.availableParallelism). */
  hostCpus: number;
  availableCpus: number;
  /** The fraction of the host's CPU time that was busy (every process, not only this one). */
  hostBusy?: number;
  /** The container's CPU quota in cores, when one is set. */
  cgroupLimitCores?: number;
  /** Time the cgroup's quota held this process's cgroup back, and in how many of its periods. */
  throttledMs?: number;
  throttledPeriods?: number;
}

export function cpuSnapshot(): CpuSnapshot {
  return {
    wallNs: process.hrtime.bigint(),
    process: process.cpuUsage(),
    host: hostTimes(),
    cgroup: readCgroup(),
  };
}

/** What happened between two snapshots (pure). */
export function cpuUse(a: CpuSnapshot, b: CpuSnapshot, availableCpus = availableParallelism()): CpuUse {
  const wallUs = Number(b.wallNs - a.wallNs) / 1e3;
  const procUs = b.process.user + b.process.system - (a.process.user + a.process.system);
  const out: CpuUse = {
    processCores: wallUs > 0 ? procUs / wallUs : 0,
    hostCpus: b.host?.cpus ?? availableCpus,
    availableCpus,
  };
  if (a.host && b.host && b.host.totalMs > a.host.totalMs)
    out.hostBusy = (b.host.busyMs - a.host.busyMs) / (b.host.totalMs - a.host.totalMs);
  if (a.cgroup && b.cgroup) {
    if (b.cgroup.limitCores !== undefined) out.cgroupLimitCores = b.cgroup.limitCores;
    out.throttledMs = (b.cgroup.throttledUs - a.cgroup.throttledUs) / 1e3;
    out.throttledPeriods = b.cgroup.throttledPeriods - a.cgroup.throttledPeriods;
  }
  return out;
}

function hostTimes(): CpuSnapshot['host'] {
  const list = cpus();
  if (list.length === 0) return undefined;
  let busyMs = 0;
  let totalMs = 0;
  for (const { times: t } of list) {
    busyMs += t.user + t.nice + t.sys + t.irq;
    totalMs += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busyMs, totalMs, cpus: list.length };
}

/** cgroup v2 `cpu.stat` (usec) or v1 `cpu.stat` (throttled_time in ns). */
export function parseCpuStat(text: string): Omit<CgroupCpu, 'limitCores'> | undefined {
  const f = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) f.set(k, Number(v));
  }
  const periods = f.get('nr_periods');
  const throttledPeriods = f.get('nr_throttled');
  const throttledUs = f.get('throttled_usec') ?? divide(f.get('throttled_time'), 1e3);
  if (periods === undefined || throttledPeriods === undefined || throttledUs === undefined) return undefined;
  return { periods, throttledPeriods, throttledUs };
}

/** cgroup v2 `cpu.max` ("max 100000" or "200000 100000") as cores; undefined without a quota. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  return quotaCores(Number(quota), Number(period));
}

/** A CFS quota and period (v1: -1 for none) as cores. */
export function quotaCores(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && quota > 0 && period > 0 ? quota / period : undefined;
}

function divide(v: number | undefined, by: number): number | undefined {
  return v === undefined ? undefined : v / by;
}

/** A file's text, or undefined where it cannot be read. */
function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The directory of this process's cgroup CPU counters, and how to read its quota. */
interface CgroupDir {
  dir: string;
  quota(): number | undefined;
}

const v2Quota = (dir: string) => {
  const max = read(`${dir}/cpu.max`);
  return max ? parseCpuMax(max) : undefined;
};
const v1Quota = (dir: string) =>
  quotaCores(Number(read(`${dir}/cpu.cfs_quota_us`)), Number(read(`${dir}/cpu.cfs_period_us`)));

/** Found once per process (a process does not move between cgroups during a run); null: none. */
let cgroupDir: CgroupDir | null | undefined;

/** This process's cgroup, v2 first; null where none has throttling counters (not Linux, no cgroupfs). */
function findCgroupDir(): CgroupDir | null {
  const own = read('/proc/self/cgroup');
  if (own === undefined) return null;
  // Without the cpu controller, v2's cpu.stat has usage only: no throttling to report.
  const counts = (dir: string) => {
    const stat = read(`${dir}/cpu.stat`);
    return stat !== undefined && parseCpuStat(stat) !== undefined;
  };
  const v2Path = /^0::(.*)$/m.exec(own)?.[1];
  for (const dir of [v2Path && `/sys/fs/cgroup${v2Path}`, '/sys/fs/cgroup']) {
    if (dir && counts(dir)) return { dir, quota: () => v2Quota(dir) };
  }
  const v1Path = /^\d+:[^:]*\bcpu\b[^:]*:(.*)$/m.exec(own)?.[1] ?? '/';
  for (const base of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    for (const dir of [`${base}${v1Path}`, base]) if (counts(dir)) return { dir, quota: () => v1Quota(dir) };
  }
  return null;
}

function readCgroup(): CgroupCpu | undefined {
  if (cgroupDir === undefined) cgroupDir = findCgroupDir();
  if (cgroupDir === null) return undefined;
  const stat = read(`${cgroupDir.dir}/cpu.stat`);
  const parsed = stat ? parseCpuStat(stat) : undefined;
  return parsed && { ...parsed, limitCores: cgroupDir.quota() };
}
