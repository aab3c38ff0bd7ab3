import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
    [['--images-per-row', '2'], /--images-per-row must be 0 \(text-only rows\) or the window \(5\)/],
    [['--images-per-row', '-1'], /--images-per-row must be an integer in 0\.\.inf/],
    [['--images-per-row', '0', '--words', '0'], /neither text nor image/],
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
  // Progress lines may come first (without a terminal too); the summary line ends it.
  assert.match(r.stderr, /(^|\n)wrote \S+d\.jsonl: 4 rows, 6 images, .* sha256 [0-9a-f]{64}\n$/);
  const quiet = mmload(['generate', '-o', 'q.jsonl', '--quiet', ...small], dir);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stderr, /^wrote \S+q\.jsonl: 4 rows.*\n$/, '--quiet: only the final summary line');
  await rm(join(dir, 'q.jsonl'));
  await rm(join(dir, 'q.jsonl.manifest.json'));
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
  assert.equal(r.code, 2, 'a bad row is bad input');
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
    '--images-per-row',
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

test('--users 1000000 --turns 1000: refused at once with the reason, exit 2, nothing written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-cli-'));
  const t0 = performance.now();
  const r = mmload(['generate', '--users', '1000000', '--turns', '1000'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^mmload: refusing to generate: 1,000,000,000 rows \(--users 1000000 x --turns 1000, --words 8000\) need about [\d.]+ TiB on the filesystem of \S+, which has [\d.]+ \w+ free; lower --users, --turns or --words\n$/,
  );
  assert.ok(performance.now() - t0 < 10_000, `took ${performance.now() - t0} ms`);
  assert.deepEqual(await readdir(dir), []);
});

test('text-only generate through the CLI: its own default name, inspect reads it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-cli-'));
  let r = mmload(['generate', '--users', '3', '--turns', '2', '--words', '7', '--images-per-row', '0'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readdir(dir)).sort(), [
    '3u_2t_7word_text.jsonl',
    '3u_2t_7word_text.jsonl.manifest.json',
  ]);
  r = mmload(['inspect', '3u_2t_7word_text.jsonl'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^rows {17}6$/m);
  assert.match(r.stdout, /^layout {15}interleaved-by-turn$/m);
  assert.match(r.stdout, /^images {15}none \(text-only rows\)$/m);
  assert.match(r.stdout, /^words per row {8}7$/m);
});

test('exit 2 for bad input in every dataset command: a directory, a missing file, a bad row', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-cli-'));
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(join(dir, 'adir'));
  await writeFile(join(dir, 'bad.jsonl'), '{"text":"ok"}\n{"text":3}\n');
  const cases: [string[], RegExp][] = [
    [['inspect', 'adir'], /^mmload: adir: is a directory, not a dataset file\n$/],
    [['inspect', 'missing.jsonl'], /^mmload: missing\.jsonl: no such file\n$/],
    [['inspect', 'bad.jsonl'], /^mmload: bad\.jsonl:2 field "text": must be a string\n$/],
    [['inspect', 'bad.jsonl', '--image-root', 'nowhere'], /--image-root \S+nowhere: no such directory/],
    [
      ['generate', '-o', 'adir', '--force', '--users', '1', '--turns', '1'],
      /adir is a directory; --output must be a file path/,
    ],
    [['run', 'adir', '--quiet'], /^mmload: adir: is a directory, not a dataset file\n$/],
    [['run', 'missing.jsonl', '--quiet'], /^mmload: missing\.jsonl: no such file\n$/],
  ];
  for (const [args, re] of cases) {
    const r = mmload(args, dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});

test('generate -o - | head: ends quietly (exit 141, as after SIGPIPE), no spill file left', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    [BIN, 'generate', '-o', '-', '--users', '6', '--turns', '4', '--image-size', '320x200'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  // Like head -c: read the first bytes, then close the pipe.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 141, stderr);
  assert.equal(stderr, '');
  assert.deepEqual(
    (await readdir(tmpdir())).filter((f) => f.includes(`mmload-spill-${child.pid}`)),
    [],
  );
});
