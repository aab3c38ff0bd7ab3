import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateAiperf, PROJECT_ROOT, projectVenv } from '../src/aiperf/locate.js';
import { UserError } from '../src/util/errors.js';

async function fakeAiperf(dir: string, mode = 0o755): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'aiperf');
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, mode);
  return path;
}

test('locateAiperf: the venv wins over PATH', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-locate-'));
  const inVenv = await fakeAiperf(join(root, 'venv', 'bin'));
  await fakeAiperf(join(root, 'path'));
  assert.deepEqual(locateAiperf({ venv: join(root, 'venv'), env: { PATH: join(root, 'path') } }), {
    path: inVenv,
    source: 'venv',
  });
});

test('locateAiperf: falls back to PATH, skipping non-executable files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-locate-'));
  await fakeAiperf(join(root, 'p1'), 0o644);
  const onPath = await fakeAiperf(join(root, 'p2'));
  const env = { PATH: ['', join(root, 'p1'), join(root, 'p2')].join(':') };
  assert.deepEqual(locateAiperf({ venv: join(root, 'no-venv'), env }), { path: onPath, source: 'PATH' });
});

test('locateAiperf: missing everywhere -> UserError naming npm run setup:aiperf', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-locate-'));
  assert.throws(
    () => locateAiperf({ venv: join(root, 'none'), env: { PATH: join(root, 'empty') } }),
    (e: unknown) =>
      e instanceof UserError && /npm run setup:aiperf/.test(e.message) && e.message.includes(root),
  );
});

test('projectVenv: .venv/aiperf in the repository unless MMLOAD_AIPERF_VENV says otherwise', () => {
  assert.equal(projectVenv({}), join(PROJECT_ROOT, '.venv', 'aiperf'));
  assert.equal(projectVenv({ MMLOAD_AIPERF_VENV: '/x' }), '/x');
});
