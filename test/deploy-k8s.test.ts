import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { RUN_DEFAULTS } from '../src/driver/options.js';

/** The deploy/k8s manifests must stay consistent with the CLI they run (flags, paths, shard count). */
const dir = join(import.meta.dirname, '..', 'deploy', 'k8s');
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked structurally below
type Obj = any;
const docs: Record<string, Obj> = {};
for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
    assert.deepEqual(d.errors, [], `${f} parses`);
    const o = d.toJSON();
    docs[o.metadata.name] = o;
  }
}
const job = (name: string) => {
  const j = docs[name];
  assert.ok(j, `manifest ${name} exists`);
  return j;
};
const container = (name: string) => job(name).spec.template.spec.containers[0];
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

function helpOf(command: string): string {
  return execFileSync(
    process.execPath,
    [join(import.meta.dirname, '..', 'bin', 'mmload'), command, '--help'],
    {
      encoding: 'utf8',
    },
  );
}

test('every flag in the manifests exists in the CLI', () => {
  for (const name of ['mmload-generate', 'mmload-run', 'mmload-merge']) {
    const args: string[] = container(name).args;
    const help = helpOf(args[0]!);
    for (const a of args.filter((a) => a.startsWith('-'))) {
      assert.match(
        help,
        new RegExp(`(^|[\\s,])${a.replace(/[-]/g, '\\-')}([\\s,=]|$)`, 'm'),
        `${name}: ${a}`,
      );
    }
  }
});

test('paths, volumes and shard counts agree across the jobs', () => {
  const gen = container('mmload-generate').args;
  const run = container('mmload-run').args;
  const merge = container('mmload-merge').args;
  assert.equal(run[1], argAfter(gen, '-o'), 'run reads the dataset the generate Job writes');
  assert.equal(merge[1], argAfter(run, '--artifact-dir'), 'merge reads the shards of the run');
  const pvc = docs['mmload-data'];
  assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'));
  for (const name of ['mmload-generate', 'mmload-run', 'mmload-merge']) {
    const spec = job(name).spec.template.spec;
    const vol = spec.volumes.find((v: Obj) => v.persistentVolumeClaim);
    assert.equal(vol.persistentVolumeClaim.claimName, 'mmload-data', name);
    const mount = spec.containers[0].volumeMounts.find((m: Obj) => m.name === vol.name);
    for (const p of spec.containers[0].args.filter((a: string) => a.startsWith('/'))) {
      assert.ok(p.startsWith(`${mount.mountPath}/`), `${name}: ${p} is on the shared volume`);
    }
  }
  const runJob = job('mmload-run').spec;
  assert.equal(runJob.completionMode, 'Indexed');
  assert.equal(runJob.parallelism, runJob.completions);
  const env = Object.fromEntries(container('mmload-run').env.map((e: Obj) => [e.name, e.value]));
  assert.equal(Number(env.MMLOAD_SHARD_COUNT), runJob.completions);
  assert.equal(argAfter(run, '--start-at'), '$(START_AT)');
  assert.ok('START_AT' in env);
  // SIGTERM on deletion: the pod must outlive mmload's grace period and the writing of results.
  const grace = run.includes('--grace') ? Number(argAfter(run, '--grace')) : RUN_DEFAULTS.graceS;
  assert.ok(
    runJob.template.spec.terminationGracePeriodSeconds >= grace + 10,
    `terminationGracePeriodSeconds ${runJob.template.spec.terminationGracePeriodSeconds} leaves mmload's ${grace} s grace and its writing`,
  );
});
