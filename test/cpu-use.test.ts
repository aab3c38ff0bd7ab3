import assert from 'node:assert/strict';
import test from 'node:test';
import {
  type CpuSnapshot,
  cpuSnapshot,
  cpuUse,
  parseCpuMax,
  parseCpuStat,
  quotaCores,
} from '../src/util/cpu-use.js';

test('cpu-use: cgroup v2 and v1 counters and quotas', () => {
  // v2: usec; v1: throttled_time in ns
  const v2 =
    'usage_usec 9000\nuser_usec 6000\nsystem_usec 3000\nnr_periods 120\nnr_throttled 7\nthrottled_usec 45000\n';
  assert.deepEqual(parseCpuStat(v2), { periods: 120, throttledPeriods: 7, throttledUs: 45000 });
  const v1 = 'nr_periods 10\nnr_throttled 2\nthrottled_time 3000000\nnr_bursts 0\nburst_time 0\n';
  assert.deepEqual(parseCpuStat(v1), { periods: 10, throttledPeriods: 2, throttledUs: 3000 });
  // v2 without the cpu controller has usage only: nothing to say about throttling
  assert.equal(parseCpuStat('usage_usec 9000\nuser_usec 6000\nsystem_usec 3000\n'), undefined);
  assert.equal(parseCpuMax('max 100000\n'), undefined);
  assert.equal(parseCpuMax('250000 100000\n'), 2.5);
  assert.equal(quotaCores(-1, 100000), undefined);
  assert.equal(quotaCores(50000, 100000), 0.5);
});

test('cpu-use: cores used, host busy fraction and throttling between two snapshots', () => {
  const a: CpuSnapshot = {
    wallNs: 0n,
    process: { user: 0, system: 0 },
    host: { busyMs: 1000, totalMs: 4000, cpus: 2 },
    cgroup: { periods: 0, throttledPeriods: 0, throttledUs: 0, limitCores: 1 },
  };
  const b: CpuSnapshot = {
    wallNs: 2_000_000_000n,
    process: { user: 2_000_000, system: 600_000 },
    host: { busyMs: 4600, totalMs: 8000, cpus: 2 },
    cgroup: { periods: 20, throttledPeriods: 5, throttledUs: 250_000, limitCores: 1 },
  };
  assert.deepEqual(cpuUse(a, b, 2), {
    processCores: 1.3,
    hostCpus: 2,
    availableCpus: 2,
    hostBusy: 0.9,
    cgroupLimitCores: 1,
    throttledMs: 250,
    throttledPeriods: 5,
  });
});

test('cpu-use: a snapshot of this process sees its own CPU time', () => {
  const a = cpuSnapshot();
  const until = performance.now() + 50;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  const u = cpuUse(a, cpuSnapshot());
  assert.ok(x > 0);
  // A busy loop on one thread: close to one core (a loaded machine may give it less).
  assert.ok(u.processCores > 0.2 && u.processCores < 2.5, `processCores ${u.processCores}`);
  assert.ok(u.hostCpus >= 1);
  if (process.platform === 'linux') assert.ok(u.hostBusy !== undefined && u.hostBusy > 0 && u.hostBusy <= 1);
});
