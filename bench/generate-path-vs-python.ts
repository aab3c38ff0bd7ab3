/**
 * Path mode (360 PNG files + a ~9 MB JSONL) against a Python rebuild of the recipe's generator
 * (bench/recipe_generator.py: numpy noise + PIL default PNG, one core). Goal: mmload >= 5x faster.
 * Both write 1080x2400 noise PNGs (the recipe's real size). Needs a Python with numpy and pillow:
 *   python3 -m venv /tmp/recipe-venv && /tmp/recipe-venv/bin/pip install numpy pillow
 *   node --import tsx bench/generate-path-vs-python.ts [--python /tmp/recipe-venv/bin/python] [--dir D]
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveResult, table, timed } from './util.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const python = arg('python', '/tmp/recipe-venv/bin/python');
const dir = resolve(arg('dir', join(tmpdir(), 'mmload-bench', 'path-mode')));
const users = arg('users', '30');
// --png-level 6 compares at PIL's default zlib level (what the Python baseline uses); mmload's
// default for noise is 0, which gives files of the same size.
const pngLevel = arg('png-level', '');
const root = resolve(import.meta.dirname, '..');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
try {
  execSync('sync');
  const mm = timed(process.execPath, [
    join(root, 'bin/mmload'),
    'generate',
    '--image-mode',
    'path',
    '--image-size',
    '1080x2400',
    '--users',
    users,
    '--image-dir',
    join(dir, 'mmload-img'),
    '-o',
    join(dir, 'mmload.jsonl'),
    '--quiet',
    ...(pngLevel ? ['--png-level', pngLevel] : []),
  ]);
  if (mm.code !== 0) throw new Error(mm.stderr);
  const mmFiles = readdirSync(join(dir, 'mmload-img')).length;
  execSync('sync');
  const py = timed(python, [
    join(root, 'bench/recipe_generator.py'),
    '--users',
    users,
    '--vocabulary',
    join(root, 'data/vocabulary.txt'),
    '--image-dir',
    join(dir, 'py-img'),
    '-o',
    join(dir, 'py.jsonl'),
  ]);
  if (py.code !== 0) throw new Error(py.stderr);
  const pyFiles = readdirSync(join(dir, 'py-img')).length;
  console.log(
    table([
      ['generator', 'images', 'wall s', 's/image', 'peak RSS MB'],
      [
        `mmload --image-mode path${pngLevel ? ` --png-level ${pngLevel}` : ''}`,
        mmFiles,
        mm.seconds.toFixed(1),
        (mm.seconds / mmFiles).toFixed(3),
        mm.maxRssMB.toFixed(0),
      ],
      [
        'recipe_generator.py',
        pyFiles,
        py.seconds.toFixed(1),
        (py.seconds / pyFiles).toFixed(3),
        py.maxRssMB.toFixed(0),
      ],
    ]),
  );
  const speedup = py.seconds / mm.seconds;
  console.log(`\nspeed-up ${speedup.toFixed(1)}x (goal >= 5x)`);
  console.log(
    `saved ${saveResult('generate-path-vs-python', { users, pngLevel: pngLevel || 'default', mmload: mm.seconds, python: py.seconds, speedup })}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
