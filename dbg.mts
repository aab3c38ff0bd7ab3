import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './src/driver/run.js';
import { runOptions } from './test/driver-helpers.js';
import { startFaultServer } from './test/fault-server.js';
const TRACE = [
  { session_id: 'user_0', text: 'row u0t0 the be to', timestamp: 1000 },
  { session_id: 'user_1', text: 'row u1t0 of and a', timestamp: 1300 },
  { session_id: 'user_2', text: 'row u2t0 in that have', timestamp: 1600 },
];
const dir = await mkdtemp(join(tmpdir(), 'dbg-'));
const path = join(dir, 't.jsonl');
await writeFile(path, TRACE.map((r) => JSON.stringify(r)).join('\n') + '\n');
const srv = await startFaultServer({ behaviour: 'ok', tokens: 4, itlMs: 10 });
const out = await runLoad(runOptions(path, join(dir, 'o'), { url: srv.url, fixedSchedule: true, fixedScheduleAutoOffset: true, concurrency: Infinity }));
const recs = (await readFile(join(dir, 'o', 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).mmload);
const t0 = recs[0].intendedNs;
for (const r of recs) console.log(r.sessionId, ((r.intendedNs - t0) / 1e6).toFixed(1), ((r.dispatchNs - t0) / 1e6).toFixed(1), ((r.startNs - t0) / 1e6).toFixed(1), ((r.sentNs - t0) / 1e6).toFixed(1), ((r.firstChunkNs - t0) / 1e6).toFixed(1));
const f = Math.min(...srv.requests.map((r) => r.arrivedMs));
console.log(srv.requests.map((r) => (r.arrivedMs - f).toFixed(1)));
await srv.close();
