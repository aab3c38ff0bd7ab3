import assert from 'node:assert/strict';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeDir } from '../src/util/make-dir.js';

test('makeDir: creates every missing level and returns the first it created, as mkdir -p does', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-mkdir-'));
  assert.equal(await makeDir(join(root, 'a', 'b', 'c')), join(root, 'a'));
  assert.ok((await stat(join(root, 'a', 'b', 'c'))).isDirectory());
  assert.equal(await makeDir(join(root, 'a', 'b', 'c')), undefined, 'already there: nothing created');
  assert.equal(await makeDir(join(root, 'a', 'd')), join(root, 'a', 'd'));
});

test('makeDir: errors end it, with their code (a file in the path; procfs, where recursive mkdir never returns)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-mkdir-'));
  await writeFile(join(root, 'f'), '');
  await assert.rejects(makeDir(join(root, 'f')), { code: 'ENOTDIR' });
  await assert.rejects(makeDir(join(root, 'f', 'x')), { code: 'ENOTDIR' });
  await assert.rejects(makeDir('/proc/self/mmload-x/y'), { code: 'ENOENT' });
});
