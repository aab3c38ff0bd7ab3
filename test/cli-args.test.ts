import assert from 'node:assert/strict';
import { test } from 'node:test';
import { badNumberOption, unknownArgumentsMessage } from '../src/cli/argv-checks.js';
import { mmload } from './cli-helpers.js';

const NUM = new Set(['concurrency', 'c', 'max-start-skew', 'maxStartSkew', 'ports']);

test('badNumberOption names the option and the value as typed', () => {
  const cases: [string[], string | undefined][] = [
    [['run', 'd.jsonl', '--concurrency', 'abc'], '--concurrency abc: not a number'],
    [['run', '--concurrency=abc', 'd.jsonl'], '--concurrency abc: not a number'],
    [['run', '-c', '1x'], '-c 1x: not a number'],
    [['run', '--concurrency='], '--concurrency "": not a number'],
    [['run', 'd.jsonl', '--concurrency'], '--concurrency: needs a number'],
    [['run', '--concurrency', '--quiet'], '--concurrency: needs a number'],
    [['run', '--concurrency', 'Infinity'], '--concurrency Infinity: not a number'],
    [['merge', '--maxStartSkew', 'soon'], '--maxStartSkew soon: not a number'],
    [['run', '--concurrency', '2', '--concurrency', 'x'], '--concurrency x: not a number'],
    [['x', '--ports', '1', '2', 'z'], '--ports z: not a number'],
    // Fine: numbers in every spelling yargs reads, and values after `--`.
    [['run', '--concurrency', '-1'], undefined],
    [['run', '--concurrency', '1e3', '--max-start-skew=0.5', '-c', '0x10'], undefined],
    [['run', '--other', 'abc', 'file'], undefined],
    [['run', '--', '--concurrency', 'abc'], undefined],
  ];
  for (const [argv, want] of cases) {
    assert.equal(badNumberOption(argv, NUM, new Set(['ports'])), want, argv.join(' '));
  }
});

test('unknownArgumentsMessage names each unknown option once, as typed', () => {
  assert.equal(
    unknownArgumentsMessage('Unknown arguments: foo-bar, fooBar', [
      'compare',
      'x',
      '--foo-bar=1',
      '--foo-bar',
    ]),
    'Unknown argument: --foo-bar',
  );
  assert.equal(
    unknownArgumentsMessage('Unknown arguments: z, extra', ['mock', '-z', 'extra']),
    'Unknown arguments: -z, extra',
  );
  assert.equal(unknownArgumentsMessage('Not enough non-option arguments', []), undefined);
});

test('through the CLI: a non-number value is named, exit 2, before anything runs', async () => {
  const cases: [string[], RegExp][] = [
    [['run', 'missing.jsonl', '--concurrency', 'abc'], /^mmload: --concurrency abc: not a number\n$/],
    [['mock', '--port', 'eighty'], /^mmload: --port eighty: not a number\n$/],
    [['mock', '--itl-ms'], /^mmload: --itl-ms: needs a number\n$/],
    [['merge', 'a', '-o', 'b', '--max-start-skew=soon'], /^mmload: --max-start-skew soon: not a number\n$/],
    [['generate', '--users', '3x', '-o', '-'], /^mmload: --users 3x: not a number\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await mmload(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('through the CLI: an unknown flag is named once; an unknown command is named', async () => {
  let r = await mmload(['compare', 'x', '--foo-bar', '--foo-bar=2']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'mmload: Unknown argument: --foo-bar\nRun `mmload --help` for usage.\n');
  r = await mmload(['mock', '--ttftMs', '3', '--ttft-mss', '1']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split('\n')[0], 'mmload: Unknown argument: --ttft-mss');
  r = await mmload(['compar', 'x']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split('\n')[0], 'mmload: Unknown command: compar. Did you mean compare?');
});
