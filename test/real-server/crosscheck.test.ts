// `mmload crosscheck` against llama-server: mmload, then the real AIPerf, on the same workload, with
// the model's own tokenizer (rebuilt from its GGUF by scripts/setup-llama-server.sh) given to AIPerf.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Crosscheck } from '../../src/metrics/crosscheck.js';
import { ensureAiperf } from '../tool-helpers.js';
import { mmload, realServer, shown, textDataset } from './helpers.js';

const SESSIONS = 8;
const TURNS = 4;
const REQUESTS = SESSIONS * TURNS;
const MAX_TOKENS = 16;

before(() => ensureAiperf(), { timeout: 900_000 });

test("crosscheck against llama-server: both tools count the same requests and the server's output tokens, verdict printed", {
  timeout: 900_000,
}, async () => {
  const server = realServer();
  const { dir, path } = await textDataset(SESSIONS, TURNS);
  const out = join(dir, 'xc');
  const r = await mmload(
    [
      ...['crosscheck', path, '--url', server.url, '--model', server.model, '--tokenizer', server.tokenizer],
      ...['--concurrency', '4', '--max-tokens', String(MAX_TOKENS)],
      // cache_prompt:false: AIPerf replays the prompts mmload just sent; from llama-server's prompt
      // cache its TTFTs would be shorter than mmload's for a reason that is not the client's.
      ...['--extra-inputs', 'ignore_eos:true', 'cache_prompt:false'],
      ...['--artifact-dir', out],
    ],
    840_000,
  );
  assert.ok(existsSync(join(out, 'crosscheck.json')), `crosscheck wrote no crosscheck.json:\n${shown(r)}`);
  const report = JSON.parse(await readFile(join(out, 'crosscheck.json'), 'utf8')) as Crosscheck;
  const row = (title: string) => {
    const found = report.rows.find((x) => x.check.title === title);
    assert.ok(found, `crosscheck.json has a "${title}" row`);
    return found;
  };
  // mmload resends a request whose kept-alive connection llama-server closed before answering:
  // none fails. AIPerf 0.13 does not: it may lose a few to ServerDisconnectedError, which
  // crosscheck reports; every request it sent is then either counted or named as failed.
  assert.equal(row('requests').mmload, REQUESTS);
  assert.equal(report.errors?.mmload.count ?? 0, 0, 'mmload: no failed request');
  const aiFailed = report.errors?.aiperf.count ?? 0;
  assert.equal((row('requests').aiperf ?? 0) + aiFailed, REQUESTS, 'AIPerf: every request counted or failed');
  if (aiFailed > 0)
    assert.match(
      r.stderr,
      new RegExp(`failed requests: mmload 0, AIPerf ${aiFailed}`),
      'its failures are said',
    );
  assert.equal(row('output tokens').mmload, REQUESTS * MAX_TOKENS);
  // Like with like: both tools' totals of the server's usage.completion_tokens, exactly; they agree
  // when AIPerf counted every request (a request it lost differs here as in the requests row).
  const generated = (row('requests').aiperf ?? 0) * MAX_TOKENS;
  assert.equal(row('usage output tokens').mmload, REQUESTS * MAX_TOKENS);
  assert.equal(row('usage output tokens').aiperf, generated);
  assert.equal(row('usage output tokens').verdict, aiFailed === 0 ? 'agree' : 'DIFFER');
  assert.equal(row('requests').verdict, aiFailed === 0 ? 'agree' : 'DIFFER');
  // AIPerf's OSL is the model's tokenizer's count of the returned text: re-tokenizing generated text
  // may merge or split a token (seen: 511 for 512 generated), so it is shown, not judged. A wrong
  // tokenizer (the word-level fixture) would be tens of % off.
  const osl = row('output tokens');
  assert.equal(osl.verdict, 'info');
  assert.ok(
    Math.abs((osl.aiperf ?? 0) - generated) <= 0.05 * generated,
    `AIPerf's tokenizer count ${osl.aiperf} is within 5% of the ${generated} tokens generated`,
  );
  assert.match(r.stdout, /output tokens: AIPerf's is its tokenizer's count/);
  const verdict = /mmload and AIPerf (agree within|DIFFER beyond)/.exec(r.stdout);
  assert.ok(verdict, `the verdict is printed:\n${shown(r)}`);
  assert.equal(r.code, verdict[1] === 'agree within' ? 0 : 1, 'the exit code follows the verdict');
});
