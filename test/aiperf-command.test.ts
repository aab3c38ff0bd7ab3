import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AiperfSettings, buildAiperfCommand, extraInputsJson } from '../src/aiperf/command.js';

const base: AiperfSettings = {
  url: 'http://127.0.0.1:8000',
  model: 'm',
  datasetPath: '/d/ds.jsonl',
  concurrency: 4,
  tokenizer: '/r/fixtures/tokenizer',
  artifactDir: '/a',
};

/** The value following `flag` in argv, or undefined when the flag is absent. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

test('buildAiperfCommand: the recipe flags, streaming single_turn with a local tokenizer', () => {
  const { args } = buildAiperfCommand(base);
  assert.equal(args[0], 'profile');
  assert.equal(flag(args, '--model'), 'm');
  assert.equal(flag(args, '--url'), 'http://127.0.0.1:8000');
  assert.equal(flag(args, '--endpoint-type'), 'chat');
  assert.equal(flag(args, '--custom-dataset-type'), 'single_turn');
  assert.equal(flag(args, '--input-file'), '/d/ds.jsonl');
  assert.equal(flag(args, '--concurrency'), '4');
  assert.equal(flag(args, '--tokenizer'), '/r/fixtures/tokenizer');
  assert.equal(flag(args, '--artifact-dir'), '/a');
  assert.equal(flag(args, '--ui-type'), 'none');
  for (const f of ['--streaming', '--no-server-metrics', '--no-gpu-telemetry'])
    assert.ok(args.includes(f), f);
  for (const f of ['--conversation-num', '--request-count', '--warmup-request-count', '--extra-inputs']) {
    assert.equal(args.includes(f), false, f);
  }
  assert.equal(args.includes('--use-server-token-count'), false);
});

test('buildAiperfCommand: sessions, warm-up, server token counts, timeouts', () => {
  const { args, env } = buildAiperfCommand({
    ...base,
    sessions: 12,
    warmup: 2,
    useServerTokenCount: true,
    requestTimeoutS: 600,
    datasetTimeoutS: 1800,
  });
  assert.equal(flag(args, '--conversation-num'), '12');
  assert.equal(flag(args, '--warmup-request-count'), '2');
  assert.equal(flag(args, '--request-timeout-seconds'), '600');
  assert.ok(args.includes('--use-server-token-count'));
  assert.equal(env.AIPERF_DATASET_CONFIGURATION_TIMEOUT, '1800');
  assert.equal(env.AIPERF_SERVICE_PROFILE_CONFIGURE_TIMEOUT, '1800');
  assert.equal(
    buildAiperfCommand({ ...base, datasetTimeoutS: 60 }).env.AIPERF_SERVICE_PROFILE_CONFIGURE_TIMEOUT,
    '600',
  );
  assert.equal(flag(buildAiperfCommand({ ...base, requestCount: 7 }).args, '--request-count'), '7');
  assert.equal(buildAiperfCommand({ ...base, warmup: 0 }).args.includes('--warmup-request-count'), false);
});

test('buildAiperfCommand: never the HF offline variables (they break local tokenizer dirs in 0.13.0)', () => {
  const { env } = buildAiperfCommand(base);
  assert.equal(env.HF_HUB_OFFLINE, undefined);
  assert.equal(env.TRANSFORMERS_OFFLINE, undefined);
  assert.equal(env.HF_HUB_DISABLE_TELEMETRY, '1');
});

test('extra inputs: one JSON object keeps numbers and booleans typed; user keys override limits', () => {
  const s = {
    ...base,
    maxTokens: 64,
    minTokens: 64,
    ignoreEos: true,
    extraInputs: { temperature: 0.5, top_k: 1 },
  };
  const json = flag(buildAiperfCommand(s).args, '--extra-inputs');
  assert.deepEqual(JSON.parse(json ?? ''), {
    max_tokens: 64,
    min_tokens: 64,
    ignore_eos: true,
    temperature: 0.5,
    top_k: 1,
  });
  assert.equal(extraInputsJson({ ...base, ignoreEos: false }), '{"ignore_eos":false}');
  assert.equal(
    JSON.parse(extraInputsJson({ ...base, maxTokens: 8, extraInputs: { max_tokens: 9 } }) ?? '').max_tokens,
    9,
  );
  assert.equal(extraInputsJson(base), undefined);
});

test('buildAiperfCommand: rejects bad counts and sessions together with a request count', () => {
  assert.throws(
    () => buildAiperfCommand({ ...base, concurrency: 0 }),
    /concurrency must be a positive integer/,
  );
  assert.throws(() => buildAiperfCommand({ ...base, sessions: 1.5 }), /sessions must be a positive integer/);
  assert.throws(
    () => buildAiperfCommand({ ...base, sessions: 2, requestCount: 6 }),
    /either sessions or requestCount/,
  );
});

test("buildAiperfCommand: --goodput in AIPerf's own syntax, only when objectives are given", () => {
  const { args } = buildAiperfCommand({
    ...base,
    goodput: ' time_to_first_token:2000 inter_token_latency:30 ',
  });
  assert.equal(flag(args, '--goodput'), 'time_to_first_token:2000 inter_token_latency:30');
  assert.equal(buildAiperfCommand(base).args.includes('--goodput'), false);
  assert.equal(buildAiperfCommand({ ...base, goodput: '' }).args.includes('--goodput'), false);
});
