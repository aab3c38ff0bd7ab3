// The outside tools some tests need (AIPerf, a headless Chromium), found or installed on first use
// so that `npm install && npm test` is enough on a fresh clone. Not a test file.
//
// Nothing here skips a test: a tool that cannot be had makes the test fail with a message naming the
// tool and how to get it. Installer output goes to stderr, which node's test runner shows.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createBrotliDecompress } from 'node:zlib';
import { isExecutable, locateAiperf, PROJECT_ROOT } from '../src/aiperf/locate.js';

function say(line: string): void {
  process.stderr.write(`test setup: ${line}\n`);
}

/** Runs a command with its output on our stderr (visible in the test log); resolves to its exit code. */
function runVisible(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.pipe(process.stderr, { end: false });
    child.stderr.pipe(process.stderr, { end: false });
    child.on('error', (e) => {
      say(`${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

let aiperf: Promise<string> | undefined;

/**
 * The `aiperf` executable, after scripts/setup-aiperf.sh made sure the pinned release is in the
 * project venv (a fast no-op once installed, a few minutes the first time). Once per test process.
 */
export function ensureAiperf(): Promise<string> {
  aiperf ??= (async () => {
    const script = join(PROJECT_ROOT, 'scripts', 'setup-aiperf.sh');
    const code = await runVisible('bash', [script]);
    if (code === 0) return locateAiperf().path;
    try {
      const found = locateAiperf();
      say(`scripts/setup-aiperf.sh exited ${code}; using the aiperf found on ${found.source}: ${found.path}`);
      return found.path;
    } catch {
      throw new Error(
        `AIPerf is missing and scripts/setup-aiperf.sh could not install it (exit ${code}, output above). ` +
          'It needs python3 >= 3.10 with venv and access to PyPI: run `npm run setup:aiperf` to retry, ' +
          'or put aiperf 0.13.0 on PATH.',
      );
    }
  })();
  return aiperf;
}

export interface ChromiumCandidate {
  path: string;
  source: string;
}

/**
 * Browsers already on the machine, in the order they are tried. CHROME_PATH (or CHROMIUM_PATH)
 * names one explicitly and then is the only candidate: a wrong path must not be papered over.
 */
export function systemChromiumCandidates(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): ChromiumCandidate[] {
  for (const name of ['CHROME_PATH', 'CHROMIUM_PATH']) {
    const value = env[name];
    if (value) return [{ path: value, source: name }];
  }
  const out: ChromiumCandidate[] = [];
  for (const path of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) out.push({ path, source: 'system' });
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    const path = onPath(name, env);
    if (path) out.push({ path, source: 'PATH' });
  }
  if (platform === 'darwin') {
    out.push({ path: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', source: 'system' });
    out.push({ path: '/Applications/Chromium.app/Contents/MacOS/Chromium', source: 'system' });
  }
  return out;
}

export interface ChromiumLaunch {
  executablePath: string;
  /** Environment for the browser process (the npm build may need its own shared libraries). */
  env?: Record<string, string>;
  source: string;
}

/** Shared libraries `ldd` cannot find for `exe` (empty when all resolve or ldd is absent). */
function missingLibraries(exe: string, env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync('ldd', [exe], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('not found'))
    .map((l) => l.trim().split(/\s+/)[0]!);
}

/** Unpacks a .tar.br archive of the npm package into `dir` (brotli in Node, tar from the system). */
async function unpackTarBr(archive: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  tar.stderr.on('data', (d) => {
    err += d;
  });
  createReadStream(archive).pipe(createBrotliDecompress()).pipe(tar.stdin);
  const code = await new Promise<number>((resolve) => tar.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`tar -x ${archive}: exit ${code}: ${err.trim()}`);
}

interface SparticuzChromium {
  executablePath(input?: string): Promise<string>;
}

/**
 * The Chromium inside the npm package @sparticuz/chromium (a devDependency: a brotli-compressed
 * headless build for Linux x64 with the NSS libraries it needs). Decompressed once into the temp
 * dir by the package itself; its libraries are used only when the system lacks them.
 */
async function npmChromium(): Promise<ChromiumLaunch | string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `@sparticuz/chromium: Linux x64 only (this is ${process.platform} ${process.arch})`;
  }
  // A specifier in a variable: the package is optional at type-check time (npm install --omit=dev).
  const name = '@sparticuz/chromium';
  let pkg: SparticuzChromium;
  let binDir: string;
  try {
    pkg = ((await import(name)) as { default: SparticuzChromium }).default;
    binDir = join(dirname(createRequire(import.meta.url).resolve(name)), '..', '..', 'bin');
  } catch (e) {
    return `${name} is not installed (run \`npm install\`): ${(e as Error).message.split('\n')[0]}`;
  }
  const target = join(tmpdir(), 'chromium');
  if (!existsSync(target)) say(`decompressing the Chromium of the npm package ${name} into ${target} (once)`);
  const executablePath = await pkg.executablePath();
  let missing = missingLibraries(executablePath, process.env);
  if (missing.length === 0) return { executablePath, source: name };
  const libDir = join(tmpdir(), 'al2023', 'lib');
  if (!existsSync(libDir)) {
    say(`the system lacks ${missing.join(', ')}: unpacking the libraries shipped in ${name}`);
    await unpackTarBr(join(binDir, 'al2023.tar.br'), join(tmpdir(), 'al2023'));
  }
  const env = {
    LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter),
  };
  missing = missingLibraries(executablePath, { ...process.env, ...env });
  if (missing.length > 0) return `${name}: ${executablePath} still lacks ${missing.join(', ')}`;
  return { executablePath, env: { ...(process.env as Record<string, string>), ...env }, source: name };
}

/** Debian's chromium package, when we are root on a machine with apt-get (the last resort). */
async function aptChromium(): Promise<ChromiumLaunch | string> {
  if (process.getuid?.() !== 0 || !onPath('apt-get', process.env)) {
    return 'apt-get install chromium: not root or no apt-get';
  }
  say('no usable Chromium found: installing Debian\'s "chromium" package with apt-get (a few minutes)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if ((await runVisible('apt-get', ['update', '-qq'], env)) !== 0)
    return 'apt-get update failed (output above)';
  if ((await runVisible('apt-get', ['install', '-y', '-qq', 'chromium'], env)) !== 0) {
    return 'apt-get install chromium failed (output above)';
  }
  return isExecutable('/usr/bin/chromium')
    ? { executablePath: '/usr/bin/chromium', source: 'apt-get install chromium' }
    : 'apt-get install chromium left no /usr/bin/chromium';
}

let chromium: Promise<ChromiumLaunch> | undefined;

/**
 * A headless Chromium for playwright-core: CHROME_PATH, else one on the system or PATH, else the one
 * in the npm package @sparticuz/chromium, else Debian's package when root. Once per test process.
 */
export function findChromium(): Promise<ChromiumLaunch> {
  chromium ??= (async () => {
    const tried: string[] = [];
    const system = systemChromiumCandidates();
    for (const c of system) {
      if (isExecutable(c.path)) return { executablePath: c.path, source: c.source };
      tried.push(`${c.path} (${c.source}): not an executable file`);
    }
    if (system[0]?.source.endsWith('_PATH')) {
      throw new Error(`Chromium: ${system[0].source}=${system[0].path} is not an executable file`);
    }
    for (const fallback of [npmChromium, aptChromium]) {
      const r = await fallback();
      if (typeof r !== 'string') {
        say(`Chromium from ${r.source}: ${r.executablePath}`);
        return r;
      }
      tried.push(r);
    }
    throw new Error(
      'No headless Chromium for this test. Set CHROME_PATH to a Chrome or Chromium binary, or install ' +
        'one (Debian/Ubuntu: `apt-get install chromium`; on Linux x64 `npm install` brings the npm ' +
        `package @sparticuz/chromium, which the tests unpack by themselves). Tried:\n  ${tried.join('\n  ')}`,
    );
  })();
  return chromium;
}
