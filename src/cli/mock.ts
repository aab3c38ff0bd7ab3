import type { CommandModule } from 'yargs';
import { parseFaultSpec } from '../mock/faults.js';
import { startMock } from '../mock/server.js';
import type { FaultConfig, MockOptions, ReasoningField } from '../mock/types.js';
import { DEFAULT_MOCK_OPTIONS } from '../mock/types.js';
import { UserError } from '../util/errors.js';

interface MockArgs {
  host: string;
  'record-tokens'?: boolean;
  port: number;
  model: string;
  'ttft-ms': number;
  'prefill-us-per-token': number;
  'image-encode-ms': number;
  'image-tokens': number;
  'itl-ms': number;
  'jitter-ms': number;
  capacity: number;
  'queue-ms': number;
  seed: number;
  'cache-capacity': number;
  'reasoning-tokens': number;
  'reasoning-field': string;
  'default-max-tokens': number;
  record?: string;
  fault?: string[];
  'max-body-mb': number;
}

const d = DEFAULT_MOCK_OPTIONS;

/** `mmload mock`: run the embedded OpenAI-compatible endpoint until SIGINT/SIGTERM. */
export const mockCommand: CommandModule<object, MockArgs> = {
  command: 'mock',
  describe: 'Run the embedded OpenAI-compatible endpoint (latency model, image-embedding cache, faults)',
  builder: (y) =>
    y
      .option('host', { type: 'string', default: d.host, describe: 'Address to listen on' })
      .option('port', { type: 'number', default: 8000, describe: 'Port to listen on (0 = any free port)' })
      .option('model', {
        type: 'string',
        default: d.model,
        describe: 'Model name served by /v1/models and echoed in responses',
      })
      .option('ttft-ms', { type: 'number', default: d.ttftMs, describe: 'Base time to first token, ms' })
      .option('prefill-us-per-token', {
        type: 'number',
        default: d.prefillUsPerToken,
        describe: 'Added to TTFT per prompt token, microseconds',
      })
      .option('image-encode-ms', {
        type: 'number',
        default: d.imageEncodeMs,
        describe: 'Added to TTFT per image that misses the embedding cache, ms',
      })
      .option('image-tokens', {
        type: 'number',
        default: d.imageTokens,
        describe: 'Prompt tokens counted per image',
      })
      .option('itl-ms', { type: 'number', default: d.itlMs, describe: 'Inter-token latency, ms' })
      .option('jitter-ms', {
        type: 'number',
        default: d.jitterMs,
        describe: 'Seeded uniform [0, J) ms added to TTFT and to each token deadline',
      })
      .option('capacity', {
        type: 'number',
        default: d.capacity,
        describe:
          'Requests served at once without queueing (0 = no limit); beyond it each request in flight adds --queue-ms to the TTFT of one that arrives, like a full batch',
      })
      .option('queue-ms', {
        type: 'number',
        default: d.queueMsPerRequest,
        describe:
          'With --capacity: TTFT added per request in flight beyond the capacity, ms; (TTFT + tokens x ITL) / capacity makes throughput stop growing at the capacity',
      })
      .option('seed', {
        type: 'number',
        default: d.seed,
        describe: 'Seed for output words, lengths, jitter and probabilistic faults',
      })
      .option('cache-capacity', {
        type: 'number',
        default: d.cacheCapacity,
        describe:
          'Images kept in the LRU embedding cache (identified by a hash of the data-URL bytes); 0 disables it',
      })
      .option('reasoning-tokens', {
        type: 'number',
        default: d.reasoningTokens,
        describe: 'Stream the first K output tokens as reasoning (counted in usage)',
      })
      .option('reasoning-field', {
        type: 'string',
        choices: ['reasoning_content', 'reasoning', 'both'],
        default: d.reasoningField,
        describe: 'Delta field(s) that carry reasoning tokens',
      })
      .option('default-max-tokens', {
        type: 'number',
        default: d.defaultMaxTokens,
        describe:
          'Output limit when a request sets neither max_tokens nor max_completion_tokens. Without ignore_eos the length is seeded uniform in [max(min_tokens, 1), max]; with ignore_eos it is exactly max',
      })
      .option('max-body-mb', {
        type: 'number',
        default: d.maxBodyBytes / 1024 / 1024,
        describe: 'Request bodies larger than this (MiB) are answered 413',
      })
      .option('record', {
        type: 'string',
        describe:
          'Write per-request records (monotonic ns timestamps, tokens, cache hits, faults) as JSONL to this file, created or emptied at start and written as requests finish',
      })
      .option('record-tokens', {
        type: 'boolean',
        default: false,
        describe:
          'With --record: also each token write time (tokenNs) and its lateness against its deadline (tokenLateNs), for per-chunk accuracy benches',
      })
      .option('fault', {
        type: 'string',
        array: true,
        describe:
          'Inject a fault: KIND=P (probability per request), KIND=/N (every Nth request), optional @MS for delayHeadersMs/stallMs. KIND: http500, http429, dropMidStream, malformedEvent, delayHeadersMs, stallMs. Repeatable, e.g. --fault http500=0.01 --fault stallMs=/50@2000',
      })
      .example(
        '$0 mock --port 8000 --ttft-ms 200 --itl-ms 20 --image-encode-ms 150',
        'A slow multimodal server on :8000',
      )
      .example(
        '$0 mock --ttft-ms 50 --itl-ms 5 --capacity 8 --queue-ms 50',
        'A server that saturates at 8 requests in flight (64-token answers: (50 + 64 x 5) / 8 ~ 46 ms)',
      ),
  handler: async (a) => {
    const opts = toOptions(a);
    const mock = await startMock(opts).catch((err: NodeJS.ErrnoException) => {
      if (err instanceof UserError) throw err; // the --record file
      throw new UserError(`cannot listen on ${a.host}:${a.port}: ${err.code ?? err.message}`);
    });
    process.stdout.write(`mmload mock: serving ${opts.model} at ${mock.url}/v1 (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string): void => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        process.stderr.write(`mmload mock: ${sig}, stopping\n`);
        resolve();
      };
      const onInt = (): void => stop('SIGINT');
      const onTerm = (): void => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    const s = mock.stats();
    // The counters are printed even when the last records could not be written.
    const closed = await mock.close().then(
      () => undefined,
      (err: unknown) => err,
    );
    process.stdout.write(
      `mmload mock: ${s.requests} requests, ${s.outputTokens} output tokens, image cache ${s.imageHits} hits / ${s.imageMisses} misses${opts.recordPath && !closed ? `, records in ${opts.recordPath}` : ''}\n`,
    );
    if (closed) throw closed;
  },
};

function toOptions(a: MockArgs): Partial<MockOptions> {
  const nonNeg = (name: string, v: number): number => {
    if (!Number.isFinite(v) || v < 0)
      throw new UserError(`--${name} must be a non-negative number, got ${v}`);
    return v;
  };
  const int = (name: string, v: number): number => {
    nonNeg(name, v);
    if (!Number.isInteger(v)) throw new UserError(`--${name} must be an integer, got ${v}`);
    return v;
  };
  const faults: FaultConfig = {};
  for (const f of a.fault ?? []) {
    try {
      const [kind, spec] = parseFaultSpec(f);
      faults[kind] = spec;
    } catch (err) {
      throw new UserError(`--fault: ${(err as Error).message}`);
    }
  }
  if (int('port', a.port) > 65535) throw new UserError(`--port must be <= 65535, got ${a.port}`);
  return {
    host: a.host,
    port: a.port,
    model: a.model,
    ttftMs: nonNeg('ttft-ms', a['ttft-ms']),
    prefillUsPerToken: nonNeg('prefill-us-per-token', a['prefill-us-per-token']),
    imageEncodeMs: nonNeg('image-encode-ms', a['image-encode-ms']),
    imageTokens: int('image-tokens', a['image-tokens']),
    itlMs: nonNeg('itl-ms', a['itl-ms']),
    jitterMs: nonNeg('jitter-ms', a['jitter-ms']),
    capacity: int('capacity', a.capacity),
    queueMsPerRequest: nonNeg('queue-ms', a['queue-ms']),
    seed: int('seed', a.seed),
    cacheCapacity: int('cache-capacity', a['cache-capacity']),
    reasoningTokens: int('reasoning-tokens', a['reasoning-tokens']),
    reasoningField: a['reasoning-field'] as ReasoningField,
    defaultMaxTokens: int('default-max-tokens', a['default-max-tokens']),
    recordPath: a.record,
    recordTokens: a['record-tokens'] === true,
    // The file is streamed; nothing here reads records back.
    keepRecords: false,
    faults,
    maxBodyBytes: Math.floor(nonNeg('max-body-mb', a['max-body-mb']) * 1024 * 1024),
  };
}
