import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AIPERF_CONSOLE_LOG, runAiperf } from '../src/aiperf/run.js';

/** Alive and not a zombie (a container's pid 1 may never reap orphans). */
function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** A stand-in executable: a shell script, so these tests need no Python. */
async function script(dir: string, body: string): Promise<string> {
  const path = join(dir, 'fake-aiperf');
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

test('runAiperf: passes argv and env, logs stdout+stderr, finds the summary, returns the exit code', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-run-'));
  const artifactDir = join(dir, 'art');
  const exe = await script(
    dir,
    'echo "args: $*"; echo "env: $MMLOAD_TEST_VAR" >&2; dir="$4"; echo "{}" > "$dir/profile_export_aiperf.json"; exit 3',
  );
  const r = await runAiperf({
    executable: exe,
    command: { args: ['profile', '--x', '--artifact-dir', artifactDir], env: { MMLOAD_TEST_VAR: 'v1' } },
    artifactDir,
    forwardSignals: false,
  });
  assert.equal(r.exitCode, 3);
  assert.equal(r.timedOut, false);
  assert.equal(r.summaryPath, join(artifactDir, 'profile_export_aiperf.json'));
  assert.equal(r.logPath, join(artifactDir, AIPERF_CONSOLE_LOG));
  const log = await readFile(r.logPath, 'utf8');
  assert.match(log, /args: profile --x --artifact-dir/);
  assert.match(log, /env: v1/);
});

test('runAiperf: no summary file -> summaryPath undefined', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-run-'));
  const r = await runAiperf({
    executable: await script(dir, 'exit 1'),
    command: { args: [], env: {} },
    artifactDir: join(dir, 'art'),
    forwardSignals: false,
  });
  assert.equal(r.exitCode, 1);
  assert.equal(r.summaryPath, undefined);
});

test('runAiperf: timeout interrupts the whole process group', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-run-'));
  // A worker that ignores SIGINT must die too: it writes its pid so we can check.
  const exe = await script(dir, `sh -c 'trap "" INT; exec sleep 30' & echo $! > "${dir}/child.pid"; wait`);
  const r = await runAiperf({
    executable: exe,
    command: { args: [], env: {} },
    artifactDir: join(dir, 'art'),
    timeoutMs: 300,
    forwardSignals: false,
  });
  assert.equal(r.timedOut, true);
  // Not held up until the stubborn worker ends by itself (30 s) or the 10 s SIGKILL grace.
  assert.ok(r.durationMs < 5_000, `took ${r.durationMs} ms`);
  assert.equal(r.exitCode === 0, false);
  const childPid = Number(await readFile(join(dir, 'child.pid'), 'utf8'));
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(isRunning(childPid), false, `child ${childPid} of the timed-out process survived`);
});

test('runAiperf: a missing executable rejects', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-run-'));
  await assert.rejects(
    runAiperf({
      executable: join(dir, 'nope'),
      command: { args: [], env: {} },
      artifactDir: join(dir, 'art'),
      forwardSignals: false,
    }),
    /ENOENT/,
  );
});
