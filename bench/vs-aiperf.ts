// mmload vs AIPerf, whole processes, side by side in one run against ONE mock process (loopback):
//  (a) start -> first request at the mock, on a large inline dataset
//  (b) peak RSS of each tool's whole process tree
//  (c) completed req/s with 16-token streams against the zero-latency mock, concurrency 30
//  (d) CPU seconds per 1,000 requests (whole process tree)
// Usage: npm run build && node --import tsx bench/vs-aiperf.ts [--rounds 2] [--work DIR]
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAiperfCommand } from '../src/aiperf/command.js';
import { locateAiperf, PROJECT_TOKENIZER_DIR } from '../src/aiperf/locate.js';
import type { MockRecord } from '../src/mock/types.js';
import { median, spawnMock } from './mock-child.js';
import { sampleTree, type TreeUsage } from './proc-tree.js';
import { saveResult, table } from './util.js';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    work: { type: 'string', default: '/tmp/mmload-vs-aiperf' },
    'big-users': { type: 'string', default: '20' },
    'big-turns': { type: 'string', default: '2' },
    'big-window': { type: 'string', default: '5' },
    'small-sessions': { type: 'string', default: '200' },
    'small-turns': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '30' },
    tokens: { type: 'string', default: '16' },
    'aiperf-timeout': { type: 'string', default: '240' },
    skip: { type: 'string', default: '' },
    tools: { type: 'string', default: 'mmload,aiperf' },
  },
});
const ROUNDS = Number(opt.rounds);
const WORK = opt.work!;
const CONCURRENCY = Number(opt.concurrency);
const TOKENS = Number(opt.tokens);
const TIMEOUT_S = Number(opt['aiperf-timeout']);
const SKIP = new Set(opt.skip!.split(',').filter(Boolean));
/** e.g. `--tools mmload` for a file too large for AIPerf's memory on this machine. */
const TOOLS = new Set(opt.tools!.split(',').filter(Boolean));
const BIN = new URL('../bin/mmload', import.meta.url).pathname;
const VOCAB = new URL('../data/vocabulary.txt', import.meta.url).pathname;

type Tool = 'mmload' | 'aiperf';
/** startup: the big inline file (2 GB by default), 1 session; throughput: small text set, all sessions; fixed: small set, 1 session. */
type Phase = 'startup' | 'throughput' | 'fixed';

interface ToolRun {
  tool: Tool;
  phase: Phase;
  round: number;
  spawnNs: number;
  exitNs: number;
  wallS: number;
  exitCode: number | null;
  timedOut: boolean;
  /** /usr/bin/time -v of the top process: user+sys of it and every descendant it (transitively) reaped. */
  timeCpuS: number;
  /** /usr/bin/time's max RSS: the largest single process, not the sum. */
  timeMaxRssMiB: number;
  tree: TreeUsage;
  /** What the tool itself reported (its summary file). */
  reportedCount?: number;
  reportedRps?: number;
  /** AIPerf's materialised copy of every payload. */
  inputsJsonBytes?: number;
  loadAvg: string;
}

function loadAvg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function parseTime(path: string): { cpuS: number; maxRssMiB: number } {
  const s = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const num = (re: RegExp) => Number(re.exec(s)?.[1] ?? Number.NaN);
  return {
    cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    maxRssMiB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
  };
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

/** Runs one tool under /usr/bin/time in its own process group, sampling its tree every 200 ms. */
async function runTool(
  tool: Tool,
  phase: Phase,
  round: number,
  exe: string,
  args: string[],
  env: Record<string, string>,
  dir: string,
): Promise<Omit<ToolRun, 'reportedCount' | 'reportedRps' | 'inputsJsonBytes'>> {
  mkdirSync(dir, { recursive: true });
  const timeFile = join(dir, 'time-v.txt');
  const log = openSync(join(dir, 'console.log'), 'w');
  const load = loadAvg();
  const spawnNs = Number(process.hrtime.bigint());
  const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, exe, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
    detached: true,
  });
  const sampler = sampleTree(child.pid!, 200);
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGINT');
    setTimeout(() => killGroup(child, 'SIGKILL'), 10_000).unref();
  }, TIMEOUT_S * 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const exitNs = Number(process.hrtime.bigint());
  clearTimeout(limit);
  const tree = sampler.stop();
  killGroup(child, 'SIGKILL'); // stragglers left in the group
  const t = parseTime(timeFile);
  return {
    tool,
    phase,
    round,
    spawnNs,
    exitNs,
    wallS: (exitNs - spawnNs) / 1e9,
    exitCode,
    timedOut,
    timeCpuS: t.cpuS,
    timeMaxRssMiB: t.maxRssMiB,
    tree,
    loadAvg: load,
  };
}

function readSummary(path: string): { count?: number; rps?: number } {
  if (!existsSync(path)) return {};
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { avg?: number }>;
  return { count: j.request_count?.avg, rps: j.request_throughput?.avg };
}

async function mmloadRun(phase: Phase, round: number, dataset: string, sessions: number, url: string) {
  const dir = join(WORK, `r${round}-${phase}-mmload`);
  rmSync(dir, { recursive: true, force: true });
  const art = join(dir, 'artifacts');
  const args = [
    BIN,
    'run',
    dataset,
    '--url',
    url,
    '--concurrency',
    String(CONCURRENCY),
    '--sessions',
    String(sessions),
    '--max-tokens',
    String(TOKENS),
    '--extra-inputs',
    `min_tokens:${TOKENS}`,
    'ignore_eos:true',
    '--artifact-dir',
    art,
    '--quiet',
  ];
  const r = await runTool('mmload', phase, round, process.execPath, args, {}, dir);
  const s = readSummary(join(art, 'profile_export_mmload.json'));
  return { ...r, reportedCount: s.count, reportedRps: s.rps };
}

async function aiperfRun(phase: Phase, round: number, dataset: string, sessions: number, url: string) {
  const dir = join(WORK, `r${round}-${phase}-aiperf`);
  rmSync(dir, { recursive: true, force: true });
  const art = join(dir, 'artifacts');
  const cmd = buildAiperfCommand({
    url,
    model: 'mmload-mock',
    datasetPath: dataset,
    concurrency: CONCURRENCY,
    sessions,
    maxTokens: TOKENS,
    minTokens: TOKENS,
    ignoreEos: true,
    tokenizer: PROJECT_TOKENIZER_DIR,
    artifactDir: art,
    requestTimeoutS: 120,
    // Raised from AIPerf's 300 s so that only our own cap (--aiperf-timeout) ends a slow load.
    datasetTimeoutS: 900,
  });
  const r = await runTool('aiperf', phase, round, locateAiperf().path, cmd.args, cmd.env, dir);
  const s = readSummary(join(art, 'profile_export_aiperf.json'));
  const inputs = join(art, 'inputs.json');
  const inputsJsonBytes = existsSync(inputs) ? statSync(inputs).size : undefined;
  rmSync(inputs, { force: true }); // a full copy of the dataset: do not keep GBs around
  return { ...r, reportedCount: s.count, reportedRps: s.rps, inputsJsonBytes };
}

/** A text-only single_turn dataset: sessions x turns rows of 50 vocabulary words, interleaved by turn. */
function writeSmallDataset(path: string, sessions: number, turns: number): void {
  const words = readFileSync(VOCAB, 'utf8').split(/\s+/).filter(Boolean);
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let out = '';
  for (let t = 0; t < turns; t++) {
    for (let u = 0; u < sessions; u++) {
      const text = Array.from({ length: 50 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
      out += `${JSON.stringify({ session_id: `user_${u}`, text })}\n`;
    }
  }
  writeFileSync(path, out);
}

async function generateBig(path: string): Promise<void> {
  if (existsSync(`${path}.manifest.json`) && existsSync(path)) return;
  const args = [BIN, 'generate', '-o', path, '--users', opt['big-users']!, '--turns', opt['big-turns']!];
  args.push('--window', opt['big-window']!, '--force', '-q');
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: 'inherit' });
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generate exited ${code}`))));
  });
}

interface MockSide {
  firstArrivalS?: number;
  completed: number;
  /** Completed requests / (last token - first arrival), from the mock's own clock. */
  rps?: number;
}

function mockSide(run: ToolRun, records: MockRecord[]): MockSide {
  const inWin = records.filter((r) => r.arrivalNs >= run.spawnNs && r.arrivalNs <= run.exitNs);
  if (inWin.length === 0) return { completed: 0 };
  const first = Math.min(...inWin.map((r) => r.arrivalNs));
  const done = inWin.filter((r) => r.status === 200 && !r.aborted && r.lastTokenNs !== undefined);
  const last = Math.max(...done.map((r) => r.lastTokenNs!));
  return {
    firstArrivalS: (first - run.spawnNs) / 1e9,
    completed: done.length,
    rps: done.length > 1 ? done.length / ((last - first) / 1e9) : undefined,
  };
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const med = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? median(v) : undefined;
};

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const u = opt['big-users'];
  const big = join(WORK, `big-${u}u${opt['big-turns']}t${opt['big-window']}w.jsonl`);
  const small = join(WORK, 'small-text.jsonl');
  const smallSessions = Number(opt['small-sessions']);
  process.stderr.write(`vs-aiperf: datasets in ${WORK}\n`);
  await generateBig(big);
  writeSmallDataset(small, smallSessions, Number(opt['small-turns']));
  const bigBytes = statSync(big).size;
  const loadStart = loadAvg();

  const recordPath = join(WORK, 'mock-record.jsonl');
  rmSync(recordPath, { force: true });
  const mock = await spawnMock(['--record', recordPath, '--ttft-ms', '0', '--itl-ms', '0']);
  const runs: ToolRun[] = [];
  const started = Date.now();
  let mockCpuS = Number.NaN;
  const onSigint = () => {
    void mock.stop();
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate the order so that neither tool always runs on a warmer page cache.
      const order: Tool[] = round % 2 === 1 ? ['mmload', 'aiperf'] : ['aiperf', 'mmload'];
      for (const phase of ['startup', 'throughput', 'fixed'] as Phase[]) {
        if (SKIP.has(phase)) continue;
        for (const tool of order) {
          if (!TOOLS.has(tool)) continue;
          const [ds, sessions] =
            phase === 'startup' ? [big, 1] : phase === 'fixed' ? [small, 1] : [small, smallSessions];
          const run =
            tool === 'mmload'
              ? await mmloadRun(phase, round, ds, sessions, mock.url)
              : await aiperfRun(phase, round, ds, sessions, mock.url);
          runs.push(run);
          process.stderr.write(
            `vs-aiperf: round ${round} ${phase} ${tool}: exit ${run.exitCode}${run.timedOut ? ' (TIMED OUT)' : ''}, ${f(run.wallS)} s wall, load ${run.loadAvg}\n`,
          );
        }
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    mockCpuS = mock.cpuSeconds();
    await mock.stop();
  }
  const records: MockRecord[] = readFileSync(recordPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MockRecord);
  const rows = runs.map((r) => ({ ...r, mock: mockSide(r, records) }));

  const detail: (string | number)[][] = [
    [
      'round',
      'phase',
      'tool',
      'exit',
      'wall s',
      'first req s',
      'done',
      'mock req/s',
      'own req/s',
      'peak ΣRSS MiB',
      'peak ΣPSS MiB',
      'ΣHWM MiB',
      'procs',
      'CPU s (time -v)',
      'CPU s (sampled)',
      'inputs.json MB',
      'load',
    ],
  ];
  for (const r of rows) {
    detail.push([
      r.round,
      r.phase,
      r.tool,
      r.timedOut ? 'TIMEOUT' : String(r.exitCode),
      f(r.wallS),
      f(r.mock.firstArrivalS, 3),
      r.mock.completed,
      f(r.mock.rps, 0),
      f(r.reportedRps, 0),
      f(r.tree.peakSumRssMiB, 0),
      f(r.tree.peakSumPssMiB, 0),
      f(r.tree.sumHwmMiB, 0),
      r.tree.processesSeen,
      f(r.timeCpuS),
      f(r.tree.sampledCpuS),
      r.inputsJsonBytes === undefined ? '-' : f(r.inputsJsonBytes / 1e6, 0),
      r.loadAvg,
    ]);
  }
  console.log(
    `\nPer run (one mock process; big dataset ${(bigBytes / 1e9).toFixed(2)} GB, small ${smallSessions} sessions x ${opt['small-turns']} turns)`,
  );
  console.log(table(detail));

  const pick = (tool: Tool, phase: Phase) => rows.filter((r) => r.tool === tool && r.phase === phase);
  const summary: Record<string, Record<Tool, number | undefined>> = {};
  const bigGb = `${(bigBytes / 1e9).toFixed(1)} GB`;
  const metric = (name: string, phase: Phase, get: (r: (typeof rows)[number]) => number | undefined) => {
    summary[name] = {
      mmload: med(pick('mmload', phase).map(get)),
      aiperf: med(pick('aiperf', phase).map(get)),
    };
  };
  metric(`(a) start -> first request at mock, s (${bigGb} inline)`, 'startup', (r) => r.mock.firstArrivalS);
  metric(`(a) wall time for 1 session (${opt['big-turns']} requests), s`, 'startup', (r) => r.wallS);
  metric(`(b) peak summed RSS, MiB (${bigGb} inline run)`, 'startup', (r) => r.tree.peakSumRssMiB);
  metric(`(b) peak summed PSS, MiB (${bigGb} inline run)`, 'startup', (r) => r.tree.peakSumPssMiB);
  metric('(b) peak summed RSS, MiB (throughput run)', 'throughput', (r) => r.tree.peakSumRssMiB);
  metric('(b) peak summed PSS, MiB (throughput run)', 'throughput', (r) => r.tree.peakSumPssMiB);
  metric('(c) completed req/s at the mock (c=30, 16 tokens)', 'throughput', (r) => r.mock.rps);
  metric("(c) tool's own reported req/s", 'throughput', (r) => r.reportedRps);
  metric('(d) CPU s per 1,000 requests, whole process', 'throughput', (r) =>
    r.mock.completed > 0 ? (r.timeCpuS / r.mock.completed) * 1000 : undefined,
  );
  metric('(d) CPU s of the whole throughput run', 'throughput', (r) => r.timeCpuS);
  metric('(d) CPU s of a 1-session run (fixed cost)', 'fixed', (r) => r.timeCpuS);
  metric('(d) requests in a 1-session run', 'fixed', (r) => r.mock.completed);
  // Marginal cost: the throughput run minus the 1-session run of the same round, per extra request.
  const marginal = (tool: Tool) =>
    med(
      pick(tool, 'throughput').map((t) => {
        const fx = rows.find((r) => r.tool === tool && r.phase === 'fixed' && r.round === t.round);
        if (!fx || t.mock.completed <= fx.mock.completed) return undefined;
        return ((t.timeCpuS - fx.timeCpuS) / (t.mock.completed - fx.mock.completed)) * 1000;
      }),
    );
  summary['(d) marginal CPU s per 1,000 requests (excl. start-up)'] = {
    mmload: marginal('mmload'),
    aiperf: marginal('aiperf'),
  };
  const sumRows: (string | number)[][] = [['metric (median)', 'mmload', 'AIPerf', 'AIPerf / mmload']];
  for (const [name, v] of Object.entries(summary)) {
    sumRows.push([
      name,
      f(v.mmload),
      f(v.aiperf),
      v.mmload && v.aiperf ? `${(v.aiperf / v.mmload).toFixed(1)}x` : '-',
    ]);
  }
  const loadEnd = loadAvg();
  console.log(
    `\nMedians over ${ROUNDS} round(s); load average ${loadStart} at start, ${loadEnd} at end; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(table(sumRows));
  console.log(
    `mock process: ${f(mockCpuS)} CPU s over the whole bench (${records.length} requests recorded)`,
  );
  const file = saveResult('vs-aiperf', {
    bigBytes,
    rounds: ROUNDS,
    loadStart,
    loadEnd,
    mockCpuS,
    rows,
    summary,
  });
  console.log(`\nresults: ${file}`);
}

await main();
