// deploy/k8s against the PDP's real configuration: probes on its real routes, the port it
// listens on, variables it reads, and the policies it serves.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@oracle-ai/pdp';
import { SERVICES, envNamesIn, exists, policyFiles, yamlDocuments, yamlFile } from './repo.js';

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  resources: { requests: { cpu: string; memory: string }; limits?: { memory?: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

const kustomization = yamlFile<{
  resources: string[];
  images: { name: string; newTag: string }[];
  configMapGenerator: { name: string; files: string[] }[];
}>('deploy/k8s/kustomization.yaml');
const manifests = kustomization.resources.flatMap((file) => yamlDocuments(`deploy/k8s/${file}`) as Manifest[]);
const byKind = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

const deployment = byKind('Deployment') as Manifest & {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy: { rollingUpdate: { maxUnavailable: number } };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
        volumes: { name: string; configMap?: { name: string } }[];
      };
    };
  };
};
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;
const envValue = (name: string) => container.env.find((e) => e.name === name);
const containerPort = (name: string | number) =>
  typeof name === 'number' ? name : container.ports.find((port) => port.name === name)?.containerPort;

describe('deploy/k8s', () => {
  it('lists resources that exist and are valid Kubernetes objects', () => {
    for (const file of kustomization.resources) expect(exists(`deploy/k8s/${file}`), file).toBe(true);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    for (const manifest of manifests) {
      expect(manifest.apiVersion).toMatch(/^(apps\/v1|v1|policy\/v1)$/);
      expect(manifest.metadata.name).toBe('pdp');
    }
  });

  it('runs several replicas and never drops below full strength while rolling out', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(pod.containers).toHaveLength(1);
  });

  it('probes readiness on /readyz and liveness on /healthz, on the port the PDP listens on', () => {
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const config = loadConfig({ env: podEnv() });
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(containerPort(probe.httpGet.port)).toBe(config.port);
    }
    expect(config.port).toBe(SERVICES.pdp.port);
    expect(config.host).toBe('0.0.0.0');
  });

  it('sets only variables the PDP reads, and its configuration accepts them', () => {
    const known = envNamesIn(SERVICES.pdp.configSources);
    for (const { name } of container.env) expect(known, `${name} is not read by pdp/src/runtime/config.ts`).toContain(name);
    const config = loadConfig({ env: podEnv() });
    expect(config.clientTokens).toEqual(['from-the-secret']);
    expect(config.allowUnauthenticated).toBe(false);
    expect(config.decisionLog).toBe(true);
  });

  it('takes caller tokens from a Secret, never from the manifest', () => {
    const tokens = envValue('PDP_CLIENT_TOKENS');
    expect(tokens?.value).toBeUndefined();
    expect(tokens?.valueFrom?.secretKeyRef).toEqual({ name: 'pdp-caller-tokens', key: 'tokens' });
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);
  });

  it('serves the policies from the generated ConfigMap, mounted whole so updates reach the files', () => {
    const generator = kustomization.configMapGenerator.find((g) => g.name === 'pdp-policies');
    expect(generator).toBeDefined();
    const volume = pod.volumes.find((v) => v.configMap?.name === generator!.name);
    expect(volume).toBeDefined();
    const mount = container.volumeMounts.find((m) => m.name === volume!.name)!;
    expect(mount.subPath, 'a subPath mount never sees ConfigMap updates').toBeUndefined();
    expect(mount.readOnly).toBe(true);
    expect(loadConfig({ env: podEnv() }).policiesDir).toBe(path.resolve(mount.mountPath));
  });

  it('generates the ConfigMap from every policy file in policies/, and only those', () => {
    const generator = kustomization.configMapGenerator.find((g) => g.name === 'pdp-policies')!;
    for (const file of generator.files) expect(exists(path.posix.join('deploy/k8s', file)), file).toBe(true);
    const listed = generator.files.map((file) => path.posix.relative('../../policies', file)).sort();
    expect(listed).toEqual(policyFiles());
  });

  it('runs as non-root with a read-only root filesystem, no privileges and resource requests', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(container.resources.requests.memory).toBeTruthy();
    expect(container.resources.limits?.memory).toBeTruthy();
  });

  it('uses the image built by pdp/Dockerfile (the compose image name)', () => {
    const compose = yamlFile<{ services: Record<string, { image: string }> }>('docker-compose.yml');
    const imageName = compose.services.pdp!.image;
    expect(container.image.split(':')[0]).toBe(imageName);
    expect(kustomization.images.map((image) => image.name)).toContain(imageName);
    expect(container.args).toEqual(['serve']);
  });

  it('routes the Service to the PDP pods and port, and the PodDisruptionBudget covers the same pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
    const service = byKind('Service') as Manifest & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] } };
    expect(labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toHaveLength(1);
    expect(containerPort(service.spec.ports[0]!.targetPort)).toBe(SERVICES.pdp.port);
    expect(service.spec.ports[0]!.port).toBe(SERVICES.pdp.port);
    const pdb = byKind('PodDisruptionBudget') as Manifest & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number; minAvailable?: number } };
    expect(labels).toMatchObject(pdb.spec.selector.matchLabels);
    const allowedDown = pdb.spec.maxUnavailable ?? deployment.spec.replicas - (pdb.spec.minAvailable ?? 0);
    expect(allowedDown).toBeGreaterThanOrEqual(1);
    expect(allowedDown).toBeLessThan(deployment.spec.replicas);
  });
});

/** The container's environment as the PDP would see it, with the Secret's value filled in. */
function podEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env) env[entry.name] = entry.value ?? (entry.valueFrom?.secretKeyRef ? 'from-the-secret' : '');
  return env;
}
