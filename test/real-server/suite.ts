// `npm run test:real-server`: the tests in this folder against llama.cpp's llama-server with a small
// real model, started here and stopped here whatever happens.
//
//  1. scripts/setup-llama-server.sh (cached after the first ~20 minute build; prints its progress),
//  2. llama-server on a free 127.0.0.1 port with SmolLM2-135M, until /health answers 200,
//  3. node --test on test/real-server/*.test.ts (or the files given as arguments), with the server
//     in MMLOAD_REAL_URL / MMLOAD_REAL_MODEL / MMLOAD_REAL_TOKENIZER / MMLOAD_REAL_LOG,
//  4. the server stopped; the exit code is the tests'.
//
// The server runs under a small sh wrapper that holds our stdin: when this process ends in any
// way, SIGKILL included, the pipe closes and the wrapper stops the server, so none is left behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '../../src/aiperf/locate.js';

const MODEL_ALIAS = 'SmolLM2-135M-Instruct';

/**
 * Process groups of our children that a signal to the suite is passed to: the setup script (with
 * its compiler) and the tests (node --test, its file runners, the mmload they start). Each has its
 * own group so that the whole tree gets the signal, not only the direct child.
 */
const groups = new Set<number>();
const HEALTH_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

function say(line: string): void {
  process.stderr.write(`real-server: ${line}\n`);
}

interface Setup {
  server: string;
  model: string;
  tokenizer: string;
}

/** Runs the setup script, its progress on our stderr, and reads its `key=value` result lines. */
async function setup(): Promise<Setup> {
  const script = join(PROJECT_ROOT, 'scripts', 'setup-llama-server.sh');
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  groups.add(child.pid!);
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    process.stderr.write(d);
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  groups.delete(child.pid!);
  if (code !== 0) throw new Error(`scripts/setup-llama-server.sh exited ${code} (its output is above)`);
  const values = new Map(
    out
      .split('\n')
      .filter((l) => /^[a-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const get = (key: string) => {
    const v = values.get(key);
    if (!v) throw new Error(`scripts/setup-llama-server.sh printed no ${key}= line`);
    return v;
  };
  return { server: get('server'), model: get('model'), tokenizer: get('tokenizer') };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// "$@" is the server command. Its stdin is /dev/null; ours (the pipe from this process) is kept on
// fd 3 for a watcher that waits for EOF, then sends SIGTERM and, after 10 s, SIGKILL.
const WRAPPER = `exec 3<&0
"$@" </dev/null &
pid=$!
{
  read -r _ <&3
  kill "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
  kill -9 "$pid" 2>/dev/null
} &
wait "$pid"`;

interface Running {
  child: ChildProcess;
  url: string;
  log: string;
  exited: Promise<number | null>;
}

function startServer(s: Setup, port: number, log: string): Running {
  const args = [
    ...['-m', s.model, '--alias', MODEL_ALIAS, '--host', '127.0.0.1', '--port', String(port)],
    // One thread: llama.cpp's threads wait for each other at every step, and with two on two
    // cores shared with mmload (and AIPerf) one of them is often descheduled: measured here,
    // 500-1000 ms per token with -t 2 against 33-65 ms with -t 1 on a busy machine.
    ...['-c', '8192', '-np', '4', '-t', '1', '--metrics'],
  ];
  const fd = openSync(log, 'a');
  const child = spawn('sh', ['-c', WRAPPER, 'sh', s.server, ...args], { stdio: ['pipe', fd, fd] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, log, exited };
}

function logTail(log: string, lines = 25): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls /health until 200 (the model is loaded); fails at once if the server exits. */
async function waitHealthy(r: Running): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let exited = false;
  void r.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`llama-server exited before it was ready; its log:\n${logTail(r.log)}`);
    try {
      const res = await fetch(`${r.url}/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(
    `llama-server: no 200 from /health within ${HEALTH_TIMEOUT_MS / 1000} s; log:\n${logTail(r.log)}`,
  );
}

async function stopServer(r: Running): Promise<void> {
  r.child.stdin?.end();
  const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const);
  if ((await Promise.race([r.exited, timer])) === 'timeout') {
    say(`llama-server did not stop within ${STOP_TIMEOUT_MS / 1000} s: SIGKILL to its wrapper`);
    r.child.kill('SIGKILL');
  }
}

function testFiles(args: string[]): string[] {
  if (args.length > 0) return args;
  const dir = join(PROJECT_ROOT, 'test', 'real-server');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => relative(PROJECT_ROOT, join(dir, f)));
}

interface TestResult {
  code: number;
  /** From a TAP copy of the report: `# pass N`, `# fail N` (cancelled tests count as failed). */
  passed?: number;
  failed?: number;
}

/** node --test on the files, reported as usual on our stdout and as TAP into `tapFile` for the counts. */
async function runTests(files: string[], env: NodeJS.ProcessEnv, tapFile: string): Promise<TestResult> {
  const reporter = process.stdout.isTTY ? 'spec' : 'tap'; // node's own default
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', '--test', '--test-concurrency=1'],
      ...[`--test-reporter=${reporter}`, '--test-reporter-destination=stdout'],
      ...['--test-reporter=tap', `--test-reporter-destination=${tapFile}`],
      ...files,
    ],
    { cwd: PROJECT_ROOT, stdio: 'inherit', env, detached: true },
  );
  groups.add(child.pid!);
  const code = await new Promise<number>((resolve) =>
    child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
  let tap = '';
  try {
    tap = readFileSync(tapFile, 'utf8');
  } catch {
    return { code };
  }
  const count = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  return { code, passed: count('pass'), failed: count('fail') + count('cancelled') };
}

async function main(): Promise<number> {
  const started = Date.now();
  let server: Running | undefined;
  let result: TestResult | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the tests and llama-server`);
    for (const group of groups) {
      try {
        process.kill(-group, signal);
      } catch {
        // Already gone.
      }
    }
    if (server) await stopServer(server);
    say('llama-server stopped');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const s = await setup();
  const dir = await mkdtemp(join(tmpdir(), 'mmload-real-server-'));
  try {
    // A port free a moment ago may be taken by the time the server binds: try a few.
    for (let attempt = 1; ; attempt++) {
      const log = join(dir, `llama-server-${attempt}.log`);
      server = startServer(s, await freePort(), log);
      say(`starting llama-server on ${server.url} (log: ${log})`);
      try {
        await waitHealthy(server);
        break;
      } catch (e) {
        await stopServer(server);
        if (attempt === 3) throw e;
        say(`${(e as Error).message.split('\n')[0]}: retrying on another port`);
      }
    }
    say(`llama-server ready in ${((Date.now() - started) / 1000).toFixed(1)} s since the suite started`);
    const env = {
      ...process.env,
      MMLOAD_REAL_URL: server.url,
      MMLOAD_REAL_MODEL: MODEL_ALIAS,
      MMLOAD_REAL_TOKENIZER: s.tokenizer,
      MMLOAD_REAL_LOG: server.log,
    };
    result = await runTests(testFiles(process.argv.slice(2)), env, join(dir, 'report.tap'));
    return result.code;
  } finally {
    if (server) {
      await stopServer(server);
      say(`llama-server stopped; the suite took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    // Last, so that a log reader finds the counts at the end, after the server's shutdown lines.
    if (result?.passed !== undefined) say(`${result.passed} passed, ${result.failed} failed`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    say(`error: ${e.message}`);
    process.exit(1);
  },
);
