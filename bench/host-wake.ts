// The host's own floor under every timestamp: how late an idle Node process wakes up, by timer
// (event-loop delay) and by socket (loopback round trips between two idle processes); the probes
// are in host-probes.ts. Each runs with the CPUs left idle and with every CPU kept busy by a
// nice-19 spinner, which the scheduler sets aside at once for the probe: on a VM, the difference
// is the cost of waking an idle virtual CPU. An accuracy goal below the idle floor cannot be
// judged on the host. ROUNDS (default 3) alternates the settings; SECONDS (default 5) per probe.
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { type Floor, idleLoopbackRtt, idleLoopDelay } from './host-probes.js';
import { median } from './mock-child.js';
import { saveResult } from './util.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CPUS = availableParallelism();

function spinners(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => {
    const c = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    setPriority(c.pid!, 19);
    return c;
  });
}

const settings = [
  { name: 'CPUs idle', spin: 0 },
  { name: `${CPUS} nice-19 spinners`, spin: CPUS },
];
const rows: Record<string, string | number>[] = [];
const results: Record<string, { timer: Floor[]; socket: Floor[] }> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const s of settings) {
    const spin = spinners(s.spin);
    try {
      const timer = await idleLoopDelay(SECONDS);
      const socket = await idleLoopbackRtt(SECONDS);
      const kept = results[s.name] ?? { timer: [], socket: [] };
      kept.timer.push(timer);
      kept.socket.push(socket);
      results[s.name] = kept;
      rows.push({
        round: r + 1,
        setting: s.name,
        'loop delay p50 ms': timer.p50.toFixed(2),
        'loop delay p99 ms': timer.p99.toFixed(2),
        'loop delay max ms': timer.max.toFixed(2),
        'loopback RTT p50 ms': socket.p50.toFixed(3),
        'loopback RTT p99 ms': socket.p99.toFixed(3),
        'loopback RTT max ms': socket.max.toFixed(2),
      });
    } finally {
      for (const c of spin) c.kill();
    }
  }
}
console.table(rows);
for (const [name, v] of Object.entries(results))
  console.log(
    `${name}: median loop delay p99 ${median(v.timer.map((x) => x.p99)).toFixed(2)} ms, loopback RTT p99 ${median(v.socket.map((x) => x.p99)).toFixed(3)} ms (${CPUS} CPUs)`,
  );
saveResult('host-wake', { cpus: CPUS, seconds: SECONDS, results });
