// deploy/k8s against the PDP's real configuration: probes on its real routes, the port it
// listens on, variables it reads, and the policies it serves.
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '@oracle-ai/pdp';
import { ROOT, SERVICES, dataFiles, dockerfile, envNamesIn, envOf, exists, policyFiles, stages, yamlDocuments, yamlFile } from './repo.js';

const KUBECTL = '/usr/bin/kubectl';

interface Volume {
  name: string;
  configMap?: { name: string };
  projected?: { sources: { configMap?: { name: string; items?: { key: string; path: string }[] } }[] };
  emptyDir?: unknown;
}

/** The ConfigMaps a volume reads: its own, or those its projection combines. */
function configMapsOf(volume: Volume): { name: string; items?: { key: string; path: string }[] }[] {
  if (volume.configMap) return [volume.configMap];
  return (volume.projected?.sources ?? []).flatMap((s) => (s.configMap ? [s.configMap] : []));
}

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
        terminationGracePeriodSeconds: number;
        containers: Container[];
        volumes: Volume[];
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

  it('drains on SIGTERM before it stops accepting, and the grace period outlasts the drain and the shutdown timeout', () => {
    const config = loadConfig({ env: podEnv() });
    expect(config.shutdownDelayMs).toBeGreaterThanOrEqual(1_000);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(config.shutdownDelayMs + config.shutdownTimeoutMs + 5_000);
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
    const volume = pod.volumes.find((v) => configMapsOf(v).some((c) => c.name === generator!.name));
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

  it('projects every data file of policies/data/ into the policy volume at data/<file>', () => {
    const generator = kustomization.configMapGenerator.find((g) => g.name === 'pdp-policy-data')!;
    const files = generator.files.map((file) => path.posix.relative('../../policies/data', file)).sort();
    expect(files).toEqual(dataFiles());
    const volume = pod.volumes.find((v) => v.name === 'policies')!;
    const data = configMapsOf(volume).find((c) => c.name === generator.name)!;
    expect(data.items).toEqual(files.map((file) => ({ key: file, path: `data/${file}` })));
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

/** `kubectl kustomize` of a folder, as the README has it applied, parsed into its objects. */
function render(folder: string): Manifest[] {
  const text = execFileSync(KUBECTL, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path.join(ROOT, folder)], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => doc.toJS({}) as Manifest);
}

type Rendered = Manifest & { data?: Record<string, string> };
type RenderedPod = {
  containers: (Container & { env: (Container['env'][number] & { valueFrom?: { configMapKeyRef?: { name: string; key: string } } })[] })[];
  volumes: Volume[];
};
const podOf = (objects: Manifest[]) => (objects.find((m) => m.kind === 'Deployment') as unknown as { spec: { template: { spec: RenderedPod } } }).spec.template.spec;

/**
 * The container's environment as the PDP would see it: the image's own ENV first (the pod's
 * entries override it), Secret values stubbed, ConfigMap values looked up.
 */
function renderedEnv(objects: Rendered[], container: RenderedPod['containers'][number]): Record<string, string> {
  const image = dockerfile(SERVICES.pdp.dockerfile);
  const env: Record<string, string> = { ...envOf(image.filter((i) => i.stage === stages(image).at(-1))) };
  for (const entry of container.env) {
    const ref = entry.valueFrom?.configMapKeyRef;
    const configMap = ref === undefined ? undefined : objects.find((m) => m.kind === 'ConfigMap' && m.metadata.name === ref.name);
    env[entry.name] = entry.value ?? (ref ? (configMap?.data?.[ref.key] ?? '') : entry.valueFrom?.secretKeyRef ? 'from-the-secret' : '');
  }
  return env;
}

describe('deploy/k8s rendered by kubectl kustomize (no cluster)', () => {
  const base = render('deploy/k8s') as Rendered[];
  const overlay = render('deploy/k8s/bundle') as Rendered[];

  it('the base serves the policy directory from its generated, content-hashed ConfigMap', () => {
    const pod = podOf(base);
    const volume = pod.volumes.find((v) => v.name === 'policies')!;
    const [policies, data] = configMapsOf(volume);
    expect(policies?.name).toMatch(/^pdp-policies-[a-z0-9]+$/);
    expect(data?.name).toMatch(/^pdp-policy-data-[a-z0-9]+$/);
    const configMap = base.find((m) => m.kind === 'ConfigMap' && m.metadata.name === policies?.name)!;
    expect(Object.keys(configMap.data ?? {}).sort()).toEqual(policyFiles().map((f) => path.basename(f)).sort());
    const dataMap = base.find((m) => m.kind === 'ConfigMap' && m.metadata.name === data?.name)!;
    expect(Object.keys(dataMap.data ?? {}).sort()).toEqual(dataFiles());
    expect(loadConfig({ env: renderedEnv(base, pod.containers[0]!) }).bundle).toBeNull();
  });

  it('the bundle overlay builds on the base: the same objects and image, listed from it', () => {
    const own = yamlFile<{ resources: string[]; images: unknown[] }>('deploy/k8s/bundle/kustomization.yaml');
    expect(own.resources).toEqual(kustomization.resources.map((file) => `../${file}`));
    expect(own.images).toEqual(kustomization.images);
    const kinds = (objects: Manifest[]) => objects.filter((m) => m.kind !== 'ConfigMap').map((m) => `${m.kind}/${m.metadata.name}`).sort();
    expect(kinds(overlay)).toEqual(kinds(base));
    // Everything but the policy source is the base's: probes, limits, security, ports.
    const [b, o] = [podOf(base).containers[0]!, podOf(overlay).containers[0]!];
    for (const key of ['image', 'args', 'ports', 'readinessProbe', 'livenessProbe', 'resources', 'securityContext'] as const) expect(o[key], key).toEqual(b[key]);
    const others = (env: { name: string }[]) => env.filter((e) => !e.name.startsWith('PDP_BUNDLE') && e.name !== 'PDP_POLICIES');
    expect(others(o.env)).toEqual(others(b.env));
    // Set empty, not left out: the image's own PDP_POLICIES would otherwise clash with the bundle.
    expect(o.env.find((e) => e.name === 'PDP_POLICIES')?.value).toBe('');
  });

  it('the overlay fetches a bundle from a URL and verifies it with the public key it mounts; no policy ConfigMap is left', () => {
    expect(overlay.some((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('pdp-policies'))).toBe(false);
    const pod = podOf(overlay);
    const container = pod.containers[0]!;
    expect(container.volumeMounts.some((m) => m.mountPath === '/policies')).toBe(false);
    const config = loadConfig({ env: renderedEnv(overlay, container) });
    expect(config.bundle?.source).toEqual({ kind: 'url', url: expect.stringMatching(/^https:\/\//) });
    expect(config.bundle?.publicKey?.kind).toBe('file');

    // The key file is a mounted ConfigMap key holding a P-256 public key (ES256).
    const keyPath = config.bundle?.publicKey?.kind === 'file' ? config.bundle.publicKey.path : '';
    const mount = container.volumeMounts.find((m) => m.mountPath === path.dirname(keyPath))!;
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v) => v.name === mount.name)!;
    const keyMap = overlay.find((m) => m.kind === 'ConfigMap' && m.metadata.name === volume.configMap?.name)!;
    const key = createPublicKey(keyMap.data?.[path.basename(keyPath)] ?? '');
    expect(key.asymmetricKeyType).toBe('ec');

    // The cache sits on a writable emptyDir (the root filesystem is read-only).
    const cacheMount = container.volumeMounts.find((m) => config.bundle?.cache?.startsWith(`${m.mountPath}/`))!;
    expect(cacheMount.readOnly).not.toBe(true);
    expect(pod.volumes.find((v) => v.name === cacheMount.name)?.emptyDir).toBeDefined();
  });
});
