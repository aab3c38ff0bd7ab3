import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fsErrorToUserError } from '../src/util/fs-errors.js';
import { mmload } from './cli-helpers.js';

/**
 * Bad input to compare, report, merge and mock: exit 2 and one line naming the path or flag,
 * never 70 ("internal error", a stack trace), and no output file left behind.
 */

const AIPERF = resolve('fixtures/aiperf/real-small');
let dir: string;
let run: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmload-exit-'));
  // One real mmload result to break in different ways.
  let r = await mmload(
    [
      'generate',
      '-o',
      'd.jsonl',
      '--users',
      '2',
      '--turns',
      '2',
      '--window',
      '1',
      '--image-size',
      '16x8',
      '-q',
    ],
    { cwd: dir },
  );
  assert.equal(r.code, 0, r.stderr);
  r = await mmload(['run', 'd.jsonl', '--max-tokens', '4', '--artifact-dir', 'run', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  run = join(dir, 'run');
  await writeFile(join(dir, 'a-file'), 'x');
  await writeFile(join(dir, 'bad.json'), '{"request_throughput": ');
  await writeFile(join(dir, 'empty.json'), '');
  await writeFile(join(dir, 'nometrics.json'), '{"a": 1}');
  await mkdir(join(dir, 'empty-dir'));
  // Results whose per-request file is broken: a bad line, or a directory in its place.
  await cp(AIPERF, join(dir, 'aiperf-bad'), { recursive: true });
  await writeFile(join(dir, 'aiperf-bad', 'profile_export.jsonl'), '{"metadata": {}}\n{not json\n');
  await cp(run, join(dir, 'shard-dir-records'), { recursive: true });
  await rm(join(dir, 'shard-dir-records', 'records.jsonl'));
  await mkdir(join(dir, 'shard-dir-records', 'records.jsonl'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectExit2(args: string[], message: RegExp): Promise<void> {
  const r = await mmload(args, { cwd: dir });
  const what = `mmload ${args.join(' ')}`;
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n +at /, what);
  assert.match(r.stderr, /^mmload: /, what);
  assert.match(r.stderr, message, what);
}

test('compare: missing, empty, invalid or metric-less inputs and an unknown baseline exit 2', async () => {
  await expectExit2(['compare', 'nope'], /^mmload: nope: no such file or directory\n$/);
  await expectExit2(['compare', 'empty-dir'], /^mmload: empty-dir: directory holds neither/);
  await expectExit2(['compare', 'bad.json'], /^mmload: bad\.json: not valid JSON/);
  await expectExit2(['compare', 'empty.json'], /^mmload: empty\.json: not valid JSON/);
  await expectExit2(['compare', 'nometrics.json'], /^mmload: nometrics\.json: no metrics found/);
  await expectExit2(['compare', run, '--baseline', 'other'], /--baseline "other" is none of the results/);
});

test('report: a bad -o (missing dir, a directory, under a file) is refused before reading anything', async () => {
  await expectExit2(
    ['report', run, '-o', 'nodir/r.html'],
    /^mmload: cannot write nodir\/r\.html: directory nodir does not exist\n$/,
  );
  await expectExit2(
    ['report', run, '-o', 'empty-dir', '--force'],
    /^mmload: empty-dir is a directory; give the name/,
  );
  await expectExit2(
    ['report', run, '-o', 'a-file/r.html'],
    /^mmload: a-file\/r\.html: a part of the path is not a directory\n$/,
  );
  await expectExit2(['report', run, '-o', 'a-file'], /^mmload: a-file already exists; pass --force/);
  // Refused first: the missing input is not even looked at.
  await expectExit2(['report', 'nope', '-o', 'nodir/r.html'], /nodir does not exist/);
});

test('report: bad inputs exit 2 naming the file (and line), and write no report', async () => {
  await expectExit2(['report', 'nope', '-o', 'r1.html'], /^mmload: nope: no such file or directory\n$/);
  await expectExit2(['report', 'bad.json', '-o', 'r2.html'], /^mmload: bad\.json: not valid JSON/);
  await expectExit2(
    ['report', 'aiperf-bad', '-o', 'r3.html'],
    /aiperf-bad\/profile_export\.jsonl:2: not valid JSON/,
  );
  const left = (await readdir(dir)).filter((n) => n.includes('.html'));
  assert.deepEqual(left, []);
});

test('merge: a file as input or output, a result-less dir, a broken shard exit 2', async () => {
  await expectExit2(['merge', 'a-file', '-o', 'm1'], /^mmload: a-file: not a directory/);
  await expectExit2(
    ['merge', 'empty-dir', '-o', 'm2'],
    /^mmload: empty-dir: holds no profile_export_mmload\.json/,
  );
  await expectExit2(['merge', run, '-o', 'a-file'], /^mmload: a-file is not a directory; give a directory/);
  await expectExit2(
    ['merge', run, '-o', 'a-file/m'],
    /^mmload: a-file\/m: a part of the path is not a directory\n$/,
  );
  await expectExit2(
    ['merge', 'shard-dir-records', '-o', 'm3'],
    /shard-dir-records\/records\.jsonl: missing or not a file/,
  );
  await expectExit2(
    ['merge', run, '-o', 'm4', '--max-start-skew', 'soon'],
    /--max-start-skew soon: not a number/,
  );
});

test('mock: bad flag values exit 2 before listening', async () => {
  await expectExit2(['mock', '--port', '70000'], /--port must be <= 65535/);
  await expectExit2(
    ['mock', '--port', '0', '--jitter-ms', '-1'],
    /--jitter-ms must be a non-negative number/,
  );
  await expectExit2(['mock', '--port', '0', '--reasoning-field', 'thoughts'], /reasoning-field/);
  await expectExit2(['mock', '--port', '0', '--fault', 'explode=0.5'], /^mmload: --fault: /);
});

test('an fs error no command handled is named with its path, exit 2 (bad path) or 1 (full disk)', () => {
  const err = (code: string, path?: string) => Object.assign(new Error(code), { code, path });
  assert.equal(fsErrorToUserError(err('EISDIR', 'out'))?.message, 'out: is a directory');
  assert.equal(fsErrorToUserError(err('EISDIR', 'out'))?.exitCode, 2);
  assert.equal(fsErrorToUserError(err('ENOSPC', '/full/f'))?.exitCode, 1);
  assert.equal(fsErrorToUserError(err('EISDIR')), undefined, 'no path: left as a bug');
  assert.equal(fsErrorToUserError(new TypeError('x')), undefined);
});
