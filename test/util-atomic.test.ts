import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertWritable, openAtomic, writeFileAtomic } from '../src/util/atomic.js';
import { UserError } from '../src/util/errors.js';

test('openAtomic: nothing under the final name until commit; abort leaves no file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-atomic-'));
  const path = join(dir, 'out.jsonl');
  const f = openAtomic(path);
  f.stream.write('partial');
  await once(f.stream, 'ready');
  assert.deepEqual(await readdir(dir), [f.tempPath.slice(dir.length + 1)]);
  await f.abort();
  assert.deepEqual(await readdir(dir), []);
  const g = openAtomic(path);
  g.stream.write('whole\n');
  await g.commit();
  assert.equal(await readFile(path, 'utf8'), 'whole\n');
  assert.deepEqual(await readdir(dir), ['out.jsonl']);
});

test('assertWritable refuses an existing file without force', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-atomic-'));
  const path = join(dir, 'x');
  await writeFile(path, 'a');
  await assert.rejects(
    assertWritable(path, false),
    (e: unknown) => e instanceof UserError && /--force/.test(e.message),
  );
  await assertWritable(path, true);
  await writeFileAtomic(path, 'b');
  assert.equal(await readFile(path, 'utf8'), 'b');
});
