/**
 * deploy/kubernetes and the Dockerfile, checked without a cluster or Docker: every manifest is
 * valid against the Kubernetes API schemas (kubernetes-models' validators: types, required
 * fields, enums), carries no field the API does not know (read from the models' type
 * declarations, since those validators let unknown fields through), and fits together (N agrees,
 * every $(VAR) is defined, the flags are fleetsim's, the scenario and credentials parse). The
 * Dockerfile's commands must be the ones the README gives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Argv } from 'yargs';
import { runCommand } from '../../src/cli/run.js';
import { mergeCommand } from '../../src/cli/merge.js';
import { parseCredentials } from '../../src/runner/credentials-file.js';
import { validateScenario } from '../../src/scenario/load.js';
import { planScenario } from '../../src/scenario/plan.js';
import { REPO } from '../cli/cli-io.js';

const DIR = join(REPO, 'deploy', 'kubernetes');
const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read field by field; the assertions check every field they read
type Obj = Record<string, any>;

function load(file: string): Obj {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  expect(Array.isArray(docs) ? docs.length : 0, `${file}: one YAML document`).toBe(1);
  const doc = (docs as ReturnType<typeof parseAllDocuments> & unknown[])[0]!;
  expect(doc.errors, file).toEqual([]);
  return doc.toJS() as Obj;
}

const manifests = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => [f, load(f)]),
);

/** The model class that validates `kind` (apiVersion checked too). */
function modelOf(obj: Obj): { validate(): void } {
  const classes: Record<string, [string, string]> = {
    'batch/v1 Job': ['kubernetes-models/batch/v1/Job', 'Job'],
    'v1 ConfigMap': ['kubernetes-models/v1/ConfigMap', 'ConfigMap'],
    'v1 Secret': ['kubernetes-models/v1/Secret', 'Secret'],
    'v1 PersistentVolumeClaim': ['kubernetes-models/v1/PersistentVolumeClaim', 'PersistentVolumeClaim'],
  };
  const entry = classes[`${obj.apiVersion} ${obj.kind}`];
  if (!entry) throw new Error(`unexpected object ${obj.apiVersion} ${obj.kind}`);
  const Model = require(entry[0])[entry[1]];
  return new Model(obj);
}

/** Field names of `interface I<name>` in a kubernetes-models declaration file. */
function knownFields(module: string, name: string): Set<string> {
  const text = readFileSync(require.resolve(module).replace(/\.c?js$/, '.d.ts'), 'utf8');
  const start = text.indexOf(`export interface I${name} {`);
  expect(start, `${module}: interface I${name}`).toBeGreaterThanOrEqual(0);
  const body = text.slice(start, text.indexOf('\n}', start));
  return new Set([...body.matchAll(/^\s+"?([A-Za-z$][\w$]*)"?\??:/gm)].map((m) => m[1]!));
}

const FIELDS = {
  meta: knownFields('@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta', 'ObjectMeta'),
  jobSpec: knownFields('kubernetes-models/batch/v1/JobSpec', 'JobSpec'),
  podSpec: knownFields('kubernetes-models/v1/PodSpec', 'PodSpec'),
  container: knownFields('kubernetes-models/v1/Container', 'Container'),
  env: knownFields('kubernetes-models/v1/EnvVar', 'EnvVar'),
  mount: knownFields('kubernetes-models/v1/VolumeMount', 'VolumeMount'),
  volume: knownFields('kubernetes-models/v1/Volume', 'Volume'),
  resources: knownFields('kubernetes-models/v1/ResourceRequirements', 'ResourceRequirements'),
  securityContext: knownFields('kubernetes-models/v1/SecurityContext', 'SecurityContext'),
  podSecurityContext: knownFields('kubernetes-models/v1/PodSecurityContext', 'PodSecurityContext'),
  spread: knownFields('kubernetes-models/v1/TopologySpreadConstraint', 'TopologySpreadConstraint'),
  pvcSpec: knownFields('kubernetes-models/v1/PersistentVolumeClaimSpec', 'PersistentVolumeClaimSpec'),
};

/** Keys of `obj` that `fields` does not know, prefixed with `where`. */
function unknown(where: string, obj: Obj | undefined, fields: Set<string>): string[] {
  return Object.keys(obj ?? {})
    .filter((key) => !fields.has(key))
    .map((key) => `${where}.${key}`);
}

function unknownInJob(job: Obj): string[] {
  const pod = job.spec.template.spec;
  return [
    ...unknown('metadata', job.metadata, FIELDS.meta),
    ...unknown('spec', job.spec, FIELDS.jobSpec),
    ...unknown('spec.template.metadata', job.spec.template.metadata, FIELDS.meta),
    ...unknown('pod', pod, FIELDS.podSpec),
    ...unknown('pod.securityContext', pod.securityContext, FIELDS.podSecurityContext),
    ...(pod.topologySpreadConstraints ?? []).flatMap((c: Obj, i: number) => unknown(`pod.topologySpreadConstraints[${i}]`, c, FIELDS.spread)),
    ...pod.volumes.flatMap((v: Obj, i: number) => unknown(`pod.volumes[${i}]`, v, FIELDS.volume)),
    ...pod.containers.flatMap((c: Obj, i: number) => [
      ...unknown(`containers[${i}]`, c, FIELDS.container),
      ...unknown(`containers[${i}].resources`, c.resources, FIELDS.resources),
      ...unknown(`containers[${i}].securityContext`, c.securityContext, FIELDS.securityContext),
      ...(c.env ?? []).flatMap((e: Obj, j: number) => unknown(`containers[${i}].env[${j}]`, e, FIELDS.env)),
      ...(c.volumeMounts ?? []).flatMap((m: Obj, j: number) => unknown(`containers[${i}].volumeMounts[${j}]`, m, FIELDS.mount)),
    ]),
  ];
}

const shards = manifests['shards-job.yaml']!;
const merge = manifests['merge-job.yaml']!;
const runConfig = manifests['run-config.yaml']!;
const scenarioMap = manifests['scenario-configmap.yaml']!;
const secret = manifests['credentials-secret.example.yaml']!;
const pvc = manifests['results-pvc.yaml']!;

/** The value after `flag` in a container's args. */
const argAfter = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
};

/** Long option names a CLI command's yargs builder declares. */
async function optionsOf(command: { builder: (y: Argv) => unknown }): Promise<Set<string>> {
  const { default: yargs } = await import('yargs');
  const built = command.builder(yargs([])) as { getOptions(): { key: Record<string, unknown> } };
  return new Set(Object.keys(built.getOptions().key));
}

describe('deploy/kubernetes', () => {
  it('holds exactly the manifests the README names', () => {
    expect(Object.keys(manifests).sort()).toEqual([
      'credentials-secret.example.yaml',
      'merge-job.yaml',
      'results-pvc.yaml',
      'run-config.yaml',
      'scenario-configmap.yaml',
      'shards-job.yaml',
    ]);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    for (const file of Object.keys(manifests)) expect(readme, file).toContain(`deploy/kubernetes/${file}`);
  });

  it.each(Object.keys(manifests))('%s is a valid Kubernetes object', (file) => {
    expect(() => modelOf(manifests[file]!).validate()).not.toThrow();
  });

  it('the schema check is not a no-op: it refuses a broken Job', () => {
    const broken = structuredClone(shards);
    broken.spec.completions = '12';
    broken.spec.completionMode = 'Numbered';
    delete broken.spec.template.spec.containers[0].name;
    expect(() => modelOf(broken).validate()).toThrow(/completions must be integer/);
    expect(unknownInJob({ ...shards, spec: { ...shards.spec, completionsMode: 'Indexed' } })).toEqual(['spec.completionsMode']);
  });

  it('no field the Kubernetes API does not know', () => {
    expect([...unknownInJob(shards), ...unknownInJob(merge), ...unknown('pvc.spec', pvc.spec, FIELDS.pvcSpec)]).toEqual([]);
  });

  it('the shards Job is Indexed, and its N agrees with --shard K/N', async () => {
    const spec = shards.spec;
    const container = spec.template.spec.containers[0];
    const args: string[] = container.args;
    expect(spec.completionMode).toBe('Indexed');
    const shard = argAfter(args, '--shard');
    expect(shard).toMatch(/^\$\(JOB_COMPLETION_INDEX\)\/\d+$/);
    const n = Number(shard!.split('/')[1]);
    expect(spec.completions).toBe(n);
    expect(spec.parallelism).toBe(n);
    expect(args.slice(0, 2)).toEqual(['run', '/scenario/scenario.json']);
    expect(argAfter(args, '--credentials')).toBe('/secrets/creds.json');
    expect(argAfter(args, '--start-at')).toBe('$(START_AT)');
    expect(argAfter(args, '--target')).toBe('$(CODER_URL)');
    expect(argAfter(args, '--out')).toMatch(/^\/results\//);
    // Every flag is one `fleetsim run` has, spelled the same.
    const known = await optionsOf(runCommand);
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(known.has(flag.slice(2)), flag).toBe(true);
    // The index comes from the Job's completion-index annotation.
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e]));
    expect(env.JOB_COMPLETION_INDEX.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
    expect(spec.template.spec.restartPolicy).toBe('Never');
  });

  it.each([
    ['shards', shards],
    ['merge', merge],
  ])('%s: every $(VAR) is defined, from keys the run ConfigMap has; volumes are the right kinds', (_name, job) => {
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    const defined = new Set(container.env.map((e: Obj) => e.name));
    for (const arg of container.args as string[]) for (const m of arg.matchAll(/\$\((\w+)\)/g)) expect(defined.has(m[1]), m[1]).toBe(true);
    for (const e of container.env as Obj[]) {
      const ref = e.valueFrom?.configMapKeyRef;
      if (ref) {
        expect(ref.name).toBe(runConfig.metadata.name);
        expect(Object.keys(runConfig.data)).toContain(ref.key);
      }
    }
    const volumes = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
    for (const mount of container.volumeMounts as Obj[]) expect(volumes[mount.name], mount.name).toBeDefined();
    expect(volumes.results.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    // The image's user is not root, and the results volume is made writable for it.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(container.image).toBe(shards.spec.template.spec.containers[0].image);
  });

  it('scenario from the ConfigMap, credentials from the Secret (never a ConfigMap), both where the args point', () => {
    const pod = shards.spec.template.spec;
    const container = pod.containers[0];
    const mountOf = (name: string) => container.volumeMounts.find((m: Obj) => m.name === name);
    const volumes = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
    expect(volumes.scenario.configMap.name).toBe(scenarioMap.metadata.name);
    expect(`${mountOf('scenario').mountPath}/${Object.keys(scenarioMap.data)[0]}`).toBe(container.args[1]);
    expect(volumes.credentials.secret.secretName).toBe(secret.metadata.name);
    expect(`${mountOf('credentials').mountPath}/${Object.keys(secret.stringData)[0]}`).toBe(argAfter(container.args, '--credentials'));
    expect(mountOf('credentials').readOnly).toBe(true);
    // No token value in a ConfigMap (the scenario may say `auth: { token: 1 }`, a weight).
    for (const m of [runConfig, scenarioMap]) for (const text of Object.values<string>(m.data)) expect(text).not.toMatch(/"(userToken|token)"\s*:\s*"/);
  });

  it("the ConfigMap's scenario is valid, and its shards fit one process each", () => {
    const scenario = validateScenario(JSON.parse(scenarioMap.data['scenario.json']), 'scenario-configmap.yaml');
    const n = shards.spec.completions;
    const perShard = Math.ceil(planScenario(scenario).peakAgents / n);
    expect(planScenario(scenario).peakAgents).toBe(100_000);
    // docs/benchmarks.md: about 19,000 agents per process by open files.
    expect(perShard).toBeLessThanOrEqual(19_000);
    // The example credentials have the file's shape (placeholders only).
    expect(parseCredentials(JSON.parse(secret.stringData['creds.json']), 'secret').agents).toHaveLength(1);
  });

  it('the merge Job runs fleetsim merge on what the shards wrote', async () => {
    const args: string[] = merge.spec.template.spec.containers[0].args;
    expect(args[0]).toBe('merge');
    expect(args[1]).toBe(argAfter(shards.spec.template.spec.containers[0].args, '--out'));
    const known = await optionsOf(mergeCommand);
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(known.has(flag.slice(2)), flag).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Kubernetes'));

  it('builds on Node 20 slim, runs as a non-root user, with fleetsim as the entry point', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(' ')[1])).toEqual(['node:20-slim', 'node:20-slim']);
    expect(lines).toContain('USER node');
    expect(lines).toContain('ENTRYPOINT ["fleetsim"]');
    expect(lines.indexOf('USER node')).toBeGreaterThan(lines.findLastIndex((l) => l.startsWith('FROM ')));
  });

  it("runs exactly the README's commands", () => {
    const runs = lines.filter((l) => l.startsWith('RUN ')).map((l) => l.slice(4));
    expect(runs).toEqual([
      'npm ci --ignore-scripts --no-audit --no-fund',
      'npm run build',
      'npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force',
      'ln -s /app/bin/fleetsim.js /usr/local/bin/fleetsim',
    ]);
    for (const run of runs) for (const command of run.split(' && ')) expect(section, command).toContain(command);
    expect(section).toContain('docker build -t fleetsim:0.1.0 .');
    expect(dockerfile).toContain('docker build -t fleetsim:0.1.0 .');
  });

  it('.dockerignore lets in only what the Dockerfile copies (no credentials, no reports)', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, '').replace(/\/$/, ''));
    const copied = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1))
      .map((p) => p.replace(/\/$/, ''));
    expect(new Set(allowed)).toEqual(new Set(copied));
  });
});
