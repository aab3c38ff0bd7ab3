import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

// Runs the built CLI (npm test builds dist/ first), as a user would.
const BIN = resolve('bin/mmload');
function mmload(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad generate arguments: exit code 2 and a message naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['--window', '0'], /--window must be a positive integer/],
    [['--users', '-3'], /--users must be a positive integer/],
    [['--turns', 'many'], /--turns many: not a number/],
    [['--image-size', '12'], /--image-size must be WIDTHxHEIGHT/],
    [['--image-size', '0x10'], /--image-size/],
    [['--image-format', 'gif'], /image-format.*Choices/s],
    [['--image-content', 'cats'], /image-content.*Choices/s],
    [['--image-mode', 'url'], /image-mode.*Choices/s],
    [['--text', 'none'], /text.*Choices/s],
    [['--threads', '0'], /--threads must be an integer/],
    [['--png-level', '11'], /--png-level must be an integer in 0..9/],
    [['--bogus'], /Unknown argument/],
  ];
  for (const [args, re] of cases) {
    const r = mmload(['generate', '-o', join(tmpdir(), 'never.jsonl'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.match(r.stderr, /^mmload: /);
  }
});

test('generate then inspect through the CLI; refuses to overwrite without --force', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-cli-'));
  const small = ['--users', '2', '--turns', '2', '--window', '2', '--words', '5', '--image-size', '16x8'];
  let r = mmload(['generate', '-o', 'd.jsonl', ...small], dir);
  assert.equal(r.code, 0, r.stderr);
  // Without a terminal: no progress line for a job this short, only the summary, and no \r.
  assert.match(r.stderr, /^wrote \S*d\.jsonl: 4 rows, 6 images, .* sha256 [0-9a-f]{64}\n$/);
  assert.deepEqual((await readdir(dir)).sort(), ['d.jsonl', 'd.jsonl.manifest.json']);
  const manifest = JSON.parse(await readFile(join(dir, 'd.jsonl.manifest.json'), 'utf8'));
  assert.equal(manifest.rows, 4);
  r = mmload(['generate', '-o', 'd.jsonl', ...small], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already exists; pass --force/);
  r = mmload(['generate', '-o', '-', ...small], dir);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, await readFile(join(dir, 'd.jsonl'), 'utf8'));
  r = mmload(['inspect', 'd.jsonl', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.rows, 4);
  assert.deepEqual(s.sharedWithPreviousTurn, { 1: 2 });
  r = mmload(['inspect', resolve('fixtures/dataset/bad-json.jsonl')], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad-json\.jsonl:2/);
});

test('--help documents every option and the portrait mistake', () => {
  const r = mmload(['generate', '--help']);
  assert.equal(r.code, 0);
  for (const opt of [
    '--users',
    '--turns',
    '--window',
    '--words',
    '--image-size',
    '--image-format',
    '--image-content',
    '--image-mode',
    '--image-dir',
    '--text',
    '--seed',
    '--threads',
    '--force',
    '--quiet',
    '--output',
  ]) {
    assert.ok(r.stdout.includes(opt), opt);
  }
  assert.match(r.stdout, /1080x2400 reproduces the recipe/);
});

test('Ctrl-C (SIGINT) during generate: exit 130, no file under the final name, no temp file', async () => {
  const { spawn } = await import('node:child_process');
  const dir = await mkdtemp(join(tmpdir(), 'mmload-cli-'));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'generate',
      '-o',
      'big.jsonl',
      '--users',
      '30',
      '--turns',
      '8',
      '--image-size',
      '400x300',
      '--threads',
      '1',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  // Wait until the temporary file exists, then interrupt.
  for (let i = 0; i < 200 && (await readdir(dir)).length === 0; i++)
    await new Promise((r) => setTimeout(r, 25));
  assert.equal((await readdir(dir)).length, 1, 'the temporary file appeared');
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted/);
  assert.deepEqual(await readdir(dir), []);
});
