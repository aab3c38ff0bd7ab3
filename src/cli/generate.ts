import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { defaultOutput, generateDataset, type ImageMode, RECIPE_DEFAULTS } from '../dataset/generate.js';
import {
  IMAGE_CONTENTS,
  IMAGE_FORMATS,
  type ImageContent,
  type ImageFormat,
  parseSize,
} from '../dataset/images.js';
import { TEXT_MODES, type TextMode } from '../dataset/text.js';
import { UserError } from '../util/errors.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { ClosedPipeError } from '../util/pipe.js';
import { createProgress, shouldShowProgress } from '../util/progress.js';

interface GenerateArgs {
  output?: string;
  users: number;
  turns: number;
  window: number;
  'images-per-row'?: number;
  words: number;
  'image-size': string;
  'image-format': string;
  'image-content': string;
  'image-mode': string;
  'image-dir'?: string;
  text: string;
  seed: number;
  threads: number;
  'png-level'?: number;
  'jpeg-quality': number;
  force: boolean;
  quiet: boolean;
}

function intIn(name: string, v: number, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new UserError(
      `--${name} must be an integer in ${lo}..${hi === Number.MAX_SAFE_INTEGER ? 'inf' : hi}, got ${v}`,
    );
  }
  return v;
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate the sliding-window multimodal dataset (AIPerf single_turn JSONL)',
  builder: (y: Argv) =>
    y
      .epilog(
        'Writes rows {"session_id","text","images"} interleaved by turn; user u at turn t carries ' +
          'images u*(window+turns-1)+t .. +window-1, so each turn repeats window-1 images of the previous one. ' +
          "The defaults reproduce the recipe's 30u_8t_5w_8000word_base64.jsonl (about 12.5 GB inline). " +
          '--images-per-row 0 writes the same rows without images (same text for the same seed). ' +
          'A plan that cannot fit the disk is refused before anything is written; on any failure or ' +
          'interruption everything written is removed.',
      )
      .option('output', {
        alias: 'o',
        type: 'string',
        defaultDescription: RECIPE_DEFAULTS.output,
        describe:
          'Output JSONL file, or - for stdout. A manifest (<file>.manifest.json) is written beside it',
      })
      .option('users', { type: 'number', default: RECIPE_DEFAULTS.users, describe: 'Sessions (users)' })
      .option('turns', { type: 'number', default: RECIPE_DEFAULTS.turns, describe: 'Requests per user' })
      .option('window', {
        type: 'number',
        default: RECIPE_DEFAULTS.window,
        describe: 'Images per request, each turn sliding one image forward',
      })
      .option('images-per-row', {
        type: 'number',
        defaultDescription: 'the window',
        describe:
          'The window, or 0 for text-only rows {"session_id","text"}: the same text as with images, to compare the two (written to <users>u_<turns>t_<words>word_text.jsonl unless -o says otherwise)',
      })
      .option('words', { type: 'number', default: RECIPE_DEFAULTS.words, describe: 'Words of text per row' })
      .option('image-size', {
        type: 'string',
        default: `${RECIPE_DEFAULTS.width}x${RECIPE_DEFAULTS.height}`,
        describe:
          "Image WIDTHxHEIGHT. 1080x2400 reproduces the recipe generator's portrait mistake (its numpy array was (2400,1080,3))",
      })
      .option('image-format', {
        type: 'string',
        choices: IMAGE_FORMATS,
        default: RECIPE_DEFAULTS.format,
        describe: 'Image encoding',
      })
      .option('image-content', {
        type: 'string',
        choices: IMAGE_CONTENTS,
        default: RECIPE_DEFAULTS.content,
        describe:
          'noise: uniform random RGB (the recipe; incompressible, worst case). screenshot: flat panels and text-like strokes (compresses like real screenshots)',
      })
      .option('image-mode', {
        type: 'string',
        choices: ['inline', 'path'],
        default: RECIPE_DEFAULTS.imageMode,
        describe:
          'inline: data:image/...;base64 URLs in the JSONL (self-contained). path: image files in --image-dir, absolute paths in the JSONL (as the recipe)',
      })
      .option('image-dir', {
        type: 'string',
        describe: 'Directory for --image-mode path',
        defaultDescription: '<output>_images',
      })
      .option('text', {
        type: 'string',
        choices: TEXT_MODES,
        default: RECIPE_DEFAULTS.text,
        describe:
          'per-row: fresh words every row (the recipe). per-user: one text per user, so the KV prefix is shared across its turns',
      })
      .option('seed', {
        type: 'number',
        default: RECIPE_DEFAULTS.seed,
        describe: 'Seed; the same options and seed give a byte-identical file on every machine',
      })
      .option('threads', {
        type: 'number',
        default: availableParallelism(),
        describe: 'Images encoded in parallel (output does not depend on it)',
      })
      .option('png-level', {
        type: 'number',
        describe:
          'PNG zlib level 0-9 (zlib cannot shrink noise: level 6 gives the same size at ~9x the CPU of level 0)',
        defaultDescription: '0 for noise, 6 (PIL default) for screenshot',
      })
      .option('jpeg-quality', {
        type: 'number',
        default: RECIPE_DEFAULTS.jpegQuality,
        describe: 'JPEG quality 1-100',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Overwrite an existing output file (and image files)',
      })
      .option('quiet', {
        alias: 'q',
        type: 'boolean',
        default: false,
        describe: 'No progress; only errors and the final summary line',
      }) as unknown as Argv<GenerateArgs>,
  handler: async (a) => {
    const size = parseSize(a['image-size']);
    const threads = intIn('threads', a.threads, 1, 256);
    // sharp and fs share libuv's threadpool: leave room for file I/O beside the encoders.
    process.env.UV_THREADPOOL_SIZE ??= String(threads + 2);
    const imagesPerRow =
      a['images-per-row'] === undefined ? undefined : intIn('images-per-row', a['images-per-row'], 0);
    const output =
      a.output ?? defaultOutput({ users: a.users, turns: a.turns, words: a.words, imagesPerRow });
    const controller = new AbortController();
    const onSigint = () =>
      controller.abort(new UserError('interrupted (SIGINT); no output file was written', 130));
    const onSigterm = () =>
      controller.abort(new UserError('interrupted (SIGTERM); no output file was written', 143));
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigterm);
    const start = performance.now();
    let last = { rows: 0, totalRows: 1, bytes: 0 };
    const progress = createProgress(
      () => {
        const s = (performance.now() - start) / 1000;
        const rate = last.bytes / Math.max(s, 1e-3);
        const eta = last.rows > 0 ? (s * (last.totalRows - last.rows)) / last.rows : Number.NaN;
        return `generate: rows ${last.rows}/${last.totalRows}  ${formatBytes(last.bytes)}  ${(rate / 1e6).toFixed(0)} MB/s  ETA ${formatDuration(eta)}`;
      },
      { enabled: shouldShowProgress(a.quiet) && output !== '-' },
    );
    try {
      const result = await generateDataset({
        users: a.users,
        turns: a.turns,
        window: a.window,
        imagesPerRow,
        words: intIn('words', a.words, 0),
        width: size.width,
        height: size.height,
        format: a['image-format'] as ImageFormat,
        content: a['image-content'] as ImageContent,
        imageMode: a['image-mode'] as ImageMode,
        imageDir: a['image-dir'],
        text: a.text as TextMode,
        seed: intIn('seed', a.seed, 0),
        output,
        force: a.force,
        threads,
        pngLevel: a['png-level'] === undefined ? undefined : intIn('png-level', a['png-level'], 0, 9),
        jpegQuality: intIn('jpeg-quality', a['jpeg-quality'], 1, 100),
        signal: controller.signal,
        onProgress: (p) => {
          last = p;
          progress.update();
        },
      });
      const m = result.manifest;
      const s = (performance.now() - start) / 1000;
      progress.done();
      // The summary line is printed even with --quiet (and on stderr: stdout may be the data).
      process.stderr.write(
        `wrote ${result.output}: ${m.rows} rows, ${m.distinctImages} images, ${formatBytes(m.bytes)} in ${s.toFixed(1)} s; sha256 ${m.sha256}\n`,
      );
    } catch (err) {
      progress.done(); // ends the progress line, so the error gets its own
      if (err instanceof ClosedPipeError) {
        process.exitCode = err.exitCode;
        return;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    }
  },
};
