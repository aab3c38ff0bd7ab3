import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { BIN } from './cli-helpers.js';

const RECIPE = ['vllm-serve', 'dynamo-fd', 'dynamo-fd-ec'].map((n) => `fixtures/aiperf/recipe/h100/${n}`);
const GENERATE = [
  'generate',
  '-o',
  '-',
  '--users',
  '4',
  '--turns',
  '3',
  '--window',
  '2',
  '--image-size',
  '320x240',
];

/**
 * Runs mmload with its stdout a pipe whose read end is closed at once, before mmload (still
 * starting up) writes anything: every write it makes meets a reader that has gone.
 */
function withClosedStdout(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('output to a closed pipe ends quietly with the shell`s 141 (compare, generate -o -, --help)', async () => {
  for (const args of [
    ['compare', ...RECIPE],
    ['compare', ...RECIPE, '--format', 'json'],
    GENERATE,
    ['--help'],
  ]) {
    const r = await withClosedStdout(args);
    assert.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
    assert.equal(r.signal, null, args.join(' '));
    assert.equal(r.code, 141, args.join(' '));
  }
});

test('in a shell pipeline: `| head` gets its lines, mmload says nothing and exits 0 or 141', () => {
  const sh = (pipeline: string) =>
    spawnSync('bash', ['-c', `${pipeline}; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
  // compare's few lines fit in the pipe, so the write succeeds before head exits: exit 0.
  let r = sh(`"${process.execPath}" "${BIN}" compare ${RECIPE.join(' ')} | head -1`);
  assert.match(r.stdout, /^config +RPS/);
  assert.equal(r.stdout.split('\n').length, 2);
  assert.equal(r.stderr, 'rc=0\n');
  r = sh(`"${process.execPath}" "${BIN}" --help | head -1`);
  assert.equal(r.stdout, 'mmload <command> [options]\n');
  assert.equal(r.stderr, 'rc=0\n');
  // generate writes megabytes: head closes the pipe under it, which is the 141 case.
  r = sh(`"${process.execPath}" "${BIN}" ${GENERATE.join(' ')} | head -c 100`);
  assert.equal(r.stdout.length, 100);
  assert.ok(r.stdout.startsWith('{"session_id":"user_0"'));
  assert.equal(r.stderr, 'rc=141\n');
});

test('stdout on a full disk (/dev/full) is not a closed pipe: exit 1, and said', {
  skip: !existsSync('/dev/full') && 'no /dev/full here',
}, () => {
  for (const args of [['compare', ...RECIPE], ['--help']]) {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${args.join(' ')} > /dev/full`], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stderr, 'mmload: cannot write to stdout: no space left on the device\n');
  }
});
