import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { systemChromiumCandidates } from './tool-helpers.js';

async function fakeBinary(dir: string, name: string, mode = 0o755): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, mode);
  return path;
}

test('Chromium: CHROME_PATH, then CHROMIUM_PATH, is the only candidate when set', () => {
  const env = { CHROME_PATH: '/opt/c/chrome', CHROMIUM_PATH: '/opt/c/chromium', PATH: '/usr/bin' };
  assert.deepEqual(systemChromiumCandidates(env, 'linux'), [
    { path: '/opt/c/chrome', source: 'CHROME_PATH' },
  ]);
  assert.deepEqual(systemChromiumCandidates({ ...env, CHROME_PATH: '' }, 'linux'), [
    { path: '/opt/c/chromium', source: 'CHROMIUM_PATH' },
  ]);
});

test('Chromium: Debian paths first, then executables on PATH in PATH order, app bundles on macOS', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-chromium-'));
  await fakeBinary(join(root, 'a'), 'google-chrome', 0o644);
  const chrome = await fakeBinary(join(root, 'b'), 'google-chrome');
  const chromium = await fakeBinary(join(root, 'c'), 'chromium');
  const env = { PATH: [join(root, 'a'), join(root, 'b'), join(root, 'c')].join(':') };
  const linux = systemChromiumCandidates(env, 'linux');
  assert.deepEqual(linux, [
    { path: '/usr/bin/chromium', source: 'system' },
    { path: '/usr/bin/chromium-browser', source: 'system' },
    // By name first (chromium before google-chrome), then by PATH order within a name.
    { path: chromium, source: 'PATH' },
    { path: chrome, source: 'PATH' },
  ]);
  const mac = systemChromiumCandidates(env, 'darwin');
  assert.deepEqual(mac.slice(0, linux.length), linux);
  assert.ok(mac.slice(linux.length).every((c) => c.path.startsWith('/Applications/')));
});
