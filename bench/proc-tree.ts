// Samples a whole process tree from /proc (no cgroups needed): the summed RSS of all live
// descendants at each tick, and per process the highest VmHWM and CPU time seen. AIPerf runs as a
// tree of Python processes (ZMQ services and workers), so one process's figures would miss most of it.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

interface Stat {
  pid: number;
  ppid: number;
  cpuTicks: number;
  startTime: string;
}

/**
 * The fields of a /proc stat file after "pid (comm) ": state ppid pgrp session tty tpgid flags
 * minflt cminflt majflt cmajflt utime stime ... (the command name may hold spaces and parentheses).
 */
function statFields(path: string): string[] {
  const s = readFileSync(path, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

const cpuTicksOf = (f: string[]) => Number(f[11]) + Number(f[12]);

/** User + system CPU seconds from /proc/<pid>/stat (a process) or /proc/<pid>/task/<tid>/stat (one thread). */
export function statCpuSeconds(path: string): number {
  return cpuTicksOf(statFields(path)) / TICKS_PER_S;
}

function readStat(pid: number): Stat | undefined {
  try {
    const f = statFields(`/proc/${pid}/stat`);
    return { pid, ppid: Number(f[1]), cpuTicks: cpuTicksOf(f), startTime: f[19]! };
  } catch {
    return undefined; // exited between readdir and read
  }
}

function readMemKb(pid: number): { rss: number; hwm: number; pss: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(s);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    // PSS splits shared pages (libraries, copy-on-write pages) among the processes that map them,
    // so its sum over a tree counts each page once; summed RSS counts shared pages per process.
    const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return { rss: rss ? Number(rss[1]) : 0, hwm: hwm ? Number(hwm[1]) : 0, pss: pss ? Number(pss[1]) : 0 };
  } catch {
    return undefined;
  }
}

/** All live descendants of root (root itself included when includeRoot). */
function treeOf(root: number, includeRoot: boolean): Stat[] {
  const all: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(name));
    if (st) all.push(st);
  }
  const kids = new Map<number, Stat[]>();
  for (const st of all) {
    const list = kids.get(st.ppid);
    if (list) list.push(st);
    else kids.set(st.ppid, [st]);
  }
  const out: Stat[] = [];
  const rootStat = all.find((s) => s.pid === root);
  if (rootStat && includeRoot) out.push(rootStat);
  const queue = [root];
  while (queue.length > 0) {
    for (const k of kids.get(queue.shift()!) ?? []) {
      out.push(k);
      queue.push(k.pid);
    }
  }
  return out;
}

export interface TreeUsage {
  samples: number;
  /** Highest sum of VmRSS over the live tree at one tick, MiB. */
  peakSumRssMiB: number;
  /** Highest sum of PSS over the live tree at one tick, MiB (shared pages counted once). */
  peakSumPssMiB: number;
  /** Sum over every process seen of its own VmHWM, MiB (an upper bound: peaks at different times). */
  sumHwmMiB: number;
  /** Most processes alive at one tick. */
  maxProcesses: number;
  /** Distinct processes seen. */
  processesSeen: number;
  /** Sum over processes of the last CPU time seen (user+sys), s: a lower bound (up to one tick lost each). */
  sampledCpuS: number;
}

export interface TreeSampler {
  stop(): TreeUsage;
}

/** Samples root's descendants every intervalMs (root itself excluded unless includeRoot). */
export function sampleTree(root: number, intervalMs = 200, includeRoot = false): TreeSampler {
  const hwm = new Map<string, number>();
  const cpu = new Map<string, number>();
  let samples = 0;
  let peakSumRssKb = 0;
  let peakSumPssKb = 0;
  let maxProcesses = 0;
  const tick = () => {
    const tree = treeOf(root, includeRoot);
    let sum = 0;
    let pss = 0;
    for (const st of tree) {
      const key = `${st.pid}@${st.startTime}`;
      const mem = readMemKb(st.pid);
      if (mem) {
        sum += mem.rss;
        pss += mem.pss;
        hwm.set(key, Math.max(hwm.get(key) ?? 0, mem.hwm));
      }
      cpu.set(key, Math.max(cpu.get(key) ?? 0, st.cpuTicks));
    }
    samples++;
    peakSumRssKb = Math.max(peakSumRssKb, sum);
    peakSumPssKb = Math.max(peakSumPssKb, pss);
    maxProcesses = Math.max(maxProcesses, tree.length);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      let hwmKb = 0;
      for (const v of hwm.values()) hwmKb += v;
      let ticks = 0;
      for (const v of cpu.values()) ticks += v;
      return {
        samples,
        peakSumRssMiB: peakSumRssKb / 1024,
        peakSumPssMiB: peakSumPssKb / 1024,
        sumHwmMiB: hwmKb / 1024,
        maxProcesses,
        processesSeen: cpu.size,
        sampledCpuS: ticks / TICKS_PER_S,
      };
    },
  };
}
