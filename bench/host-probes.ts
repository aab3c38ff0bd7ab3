// Probes of the host's own floor under every timestamp, each in fresh processes that do nothing
// else (used by host-wake.ts, and by driver-accuracy.ts to print its run beside the floor).
import { spawn } from 'node:child_process';

export interface Floor {
  p50: number;
  p99: number;
  max: number;
}

/** Event-loop delay of an idle process (monitorEventLoopDelay at 1 ms, less the 1 ms, as mmload reports it). */
export const idleLoopDelay = (seconds: number) =>
  probe(`
const { monitorEventLoopDelay } = require('node:perf_hooks');
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
setTimeout(() => {
  h.disable();
  const d = (ns) => Math.max(0, ns / 1e6 - 1);
  console.log(JSON.stringify({ p50: d(h.percentile(50)), p99: d(h.percentile(99)), max: d(h.max) }));
}, ${seconds * 1000});`);

/**
 * Round trips of 16 bytes over loopback to an echo server in another process (or one wake-up would
 * serve both ends), one every 5 ms: two wake-ups from idle and no work per trip, which is the least
 * a client's TTFT error (one request leg, one response leg) can be on this host.
 */
export const idleLoopbackRtt = (seconds: number) =>
  probe(`
const { spawn } = require('node:child_process');
const net = require('node:net');
const srv = spawn(process.execPath, ['-e', "const net=require('node:net');const e=net.createServer((s)=>{s.setNoDelay(true);s.on('data',(d)=>s.write(d))}).listen(0,'127.0.0.1',()=>console.log(e.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
srv.stdout.once('data', (port) => {
  const s = net.connect(Number(String(port).trim()), '127.0.0.1', () => {
    s.setNoDelay(true);
    const rtt = [];
    let sent = 0n;
    s.on('data', () => { rtt.push(Number(process.hrtime.bigint() - sent) / 1e6); });
    const end = Date.now() + ${seconds * 1000};
    const tick = () => {
      if (Date.now() > end) {
        rtt.sort((a, b) => a - b);
        const q = (p) => rtt[Math.min(rtt.length - 1, Math.floor(p * rtt.length))];
        console.log(JSON.stringify({ p50: q(0.5), p99: q(0.99), max: rtt[rtt.length - 1] }));
        srv.kill();
        process.exit(0);
      }
      sent = process.hrtime.bigint();
      s.write('0123456789abcdef');
      setTimeout(tick, 5);
    };
    tick();
  });
});`);

function probe(code: string): Promise<Floor> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Floor) : reject(new Error(`probe exited ${code}`)),
    );
  });
}
