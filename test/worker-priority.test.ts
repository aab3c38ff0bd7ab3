import assert from 'node:assert/strict';
import { once } from 'node:events';
import { getPriority } from 'node:os';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { HELPER_NICE } from '../src/util/worker.js';

test('a helper thread lowers its own priority, and only its own (Linux)', async (t) => {
  if (process.platform !== 'linux') return t.skip('the nice value is per thread on Linux only');
  const before = getPriority();
  const api = import.meta.resolve('tsx/esm/api');
  const mod = new URL('../src/util/worker.ts', import.meta.url).href;
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const { getPriority } = require('node:os');
     import(${JSON.stringify(api)})
       .then((tsx) => { tsx.register(); return import(${JSON.stringify(mod)}); })
       .then(({ lowerHelperThreadPriority }) => {
         const was = getPriority();
         lowerHelperThreadPriority();
         parentPort.postMessage({ was, now: getPriority() });
       });`,
    { eval: true },
  );
  const [m] = (await once(w, 'message')) as [{ was: number; now: number }];
  await w.terminate();
  assert.equal(m.was, before, 'a new thread starts at the process priority');
  assert.equal(m.now, Math.min(19, before + HELPER_NICE), "the helper's nice value rose");
  assert.equal(getPriority(), before, 'the stamping thread keeps its priority');
});
