import assert from 'node:assert/strict';
import { test } from 'node:test';
import yargs from 'yargs';
import { COMMANDS } from '../src/cli/commands.js';
import { helpWidth, wrapHelp } from '../src/cli/help.js';
import { rawHelp, renderHelp } from '../src/cli/main.js';
import { mmload } from './cli-helpers.js';

const WIDTHS = [40, 60, 80, 120];
const NAMES = ['', ...COMMANDS.map((c) => c.name)];

const tokens = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/**
 * No word split: the laid-out help holds exactly the words of yargs' unwrapped help, in order
 * (a cut word would show up as two tokens that are not in it), and no line is wider than the
 * width unless it is one token too long to fit anywhere.
 */
function assertNoSplit(raw: string, wrapped: string, width: number, what: string): void {
  assert.deepEqual(tokens(wrapped), tokens(raw), `${what} at ${width}: words differ`);
  for (const line of wrapped.split('\n')) {
    if (line.length > width) {
      assert.equal(tokens(line).length, 1, `${what} at ${width}: line too wide: ${JSON.stringify(line)}`);
    }
  }
}

test('every command: help at 40, 60, 80 and 120 columns splits no word and no URL', async () => {
  for (const name of NAMES) {
    const argv = name ? [name] : [];
    const raw = await rawHelp(argv);
    assert.match(raw, /Options:/, `mmload ${name} --help`);
    for (const width of WIDTHS) {
      const wrapped = await renderHelp(argv, width);
      assertNoSplit(raw, wrapped, width, `mmload ${name} --help`);
    }
  }
  // The URLs and paths in the help come out whole at the narrowest width.
  const run = await renderHelp(['run'], 40);
  for (const t of ['http://127.0.0.1:8000', '30u_8t_5w_8000word_base64.jsonl', 'Qwen/Qwen3.6-35B-A3B-FP8']) {
    assert.ok(
      tokens(run).some((w) => w.includes(t)),
      t,
    );
  }
});

test('the no-split check catches what yargs` own wrap does', async () => {
  // The same check on yargs' own layout fails: it cuts words at the width (the bug this fixes).
  const y = yargs([]).option('image-size', {
    type: 'string',
    describe: "Image WIDTHxHEIGHT. 1080x2400 reproduces the recipe generator's portrait mistake",
  });
  const raw = await y.wrap(null).getHelp();
  const cut = await yargs([])
    .option('image-size', {
      type: 'string',
      describe: "Image WIDTHxHEIGHT. 1080x2400 reproduces the recipe generator's portrait mistake",
    })
    .wrap(50)
    .getHelp();
  assert.throws(() => assertNoSplit(raw, cut, 50, 'yargs wrap'));
  assertNoSplit(raw, wrapHelp(raw, 50), 50, 'wrapHelp');
});

test('wrapHelp: a token longer than the line stands alone, uncut; rows keep their columns', () => {
  const url = `https://example.invalid/${'x'.repeat(70)}`;
  const raw = [
    'mmload thing',
    '',
    `A paragraph naming ${url} in the middle of the text.`,
    '',
    'Options:',
    `  -o, --output  Where to write, e.g. ${url}  [string] [default: "out.jsonl"]`,
    '      --n       Count  [number] [default: 3]',
    '      --flag    [boolean]',
  ].join('\n');
  const out = wrapHelp(raw, 50);
  const lines = out.split('\n');
  assert.ok(lines.includes(url), 'the URL on a line of its own in the paragraph');
  assert.ok(
    lines.some((l) => l.trim() === url && l.startsWith(' '.repeat(16))),
    'in the row, at the column',
  );
  assert.ok(lines.includes('      --n       Count [number] [default: 3]'), out);
  assert.ok(lines.includes('      --flag    [boolean]'), out);
  // Hint groups are never cut at their inner space.
  assert.ok(
    lines.some((l) => l.includes('[default: "out.jsonl"]')),
    out,
  );
  assertNoSplit(raw, out, 50, 'synthetic');
});

test('help width: the terminal, else $COLUMNS, else 100; at most 110', () => {
  assert.equal(helpWidth({ COLUMNS: '60' }, { isTTY: false }), 60);
  assert.equal(helpWidth({ COLUMNS: '60' }, { isTTY: true, columns: 90 }), 90);
  assert.equal(helpWidth({}, {}), 100);
  assert.equal(helpWidth({ COLUMNS: 'wide' }, {}), 100);
  assert.equal(helpWidth({ COLUMNS: '300' }, {}), 110);
});

test('mmload --help through the binary follows $COLUMNS', async () => {
  for (const width of [60, 80]) {
    const r = await mmload(['compare', '--help'], { env: { COLUMNS: String(width) } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(
      lines.every((l) => l.length <= width),
      lines.filter((l) => l.length > width).join('\n'),
    );
    assert.ok(
      lines.some((l) => l.length > width - 12),
      `uses the width ${width}: ${Math.max(...lines.map((l) => l.length))}`,
    );
    assertNoSplit(await rawHelp(['compare']), r.stdout, width, 'compare --help');
  }
});

/**
 * The convention for defaults: shown by yargs in the hints, `[default: x]`, from `default` or,
 * when the value is computed or the option must stay unset, from `defaultDescription`; never in
 * the description text. run, crosscheck and generate are converted separately.
 */
test('defaults are shown as [default: x] hints, never inside the description', async () => {
  const NOT_YET = new Set<string>([]);
  for (const name of NAMES.filter((n) => !NOT_YET.has(n))) {
    const raw = await rawHelp(name ? [name] : []);
    for (const line of raw.split('\n')) {
      if (!line.startsWith('  ')) continue;
      const seg = line.trim().split(/ {2,}/);
      const last = seg[seg.length - 1]!;
      const description = (last.startsWith('[') && seg.length > 1 ? seg.slice(1, -1) : seg.slice(1)).join(
        ' ',
      );
      assert.doesNotMatch(description, /\bdefault\b/i, `mmload ${name}: ${seg[0]}`);
    }
  }
  assert.match(await rawHelp(['compare']), /--baseline .*\[string\] \[default: the first result\]/);
  assert.match(await rawHelp(['merge']), /--label .*\[string\] \[default: the output dir name\]/);
});
