import fs from 'node:fs';
import path from 'node:path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import type { Construct } from 'constructs';
import { SUBGRAPHS } from '@citypoints/config';

/**
 * The city on Kubernetes, written with cdk8s and synthesised by `npm run k8s` into infra/k8s/:
 * the gateway, each subgraph's server and each subgraph's workers as Deployments (probes,
 * resources, a HorizontalPodAutoscaler each), a Service per server, the configuration, and a
 * migration Job. PostgreSQL and Redis are external: their URLs and the signing secrets come from
 * the Secret `citypoints-secrets`, created by the operator (README, "Running in production").
 * `npm run k8s -- --check` validates against the Kubernetes schemas and fails when infra/k8s/
 * differs from what the code synthesises.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'infra', 'k8s');
const NAMESPACE = 'citypoints';
const IMAGE = process.env.CITYPOINTS_IMAGE ?? 'ghcr.io/citypoints/citypoints:0.1.0';
const SECRET = 'citypoints-secrets';
const CONFIG = 'citypoints-config';
const GATEWAY_PORT = 4000;
const WORKER_HTTP_PORT = 9464;
const PORTS: Record<string, number> = { REGISTRY_PORT: 4101, SETTLEMENT_PORT: 4102, CIVIC_PORT: 4103, ENTERPRISE_CREDIT_PORT: 4104, SOCIAL_ORGANISATIONS_PORT: 4105, VOLUNTEERING_PORT: 4106 };

const labels = (component: string) => ({ 'app.kubernetes.io/name': 'citypoints', 'app.kubernetes.io/component': component });

const SECURITY = {
  pod: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
  container: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
};

interface Workload {
  name: string;
  component: string;
  command: string[];
  port: number;
  portName: string;
  resources: { cpu: string; memory: string; cpuLimit: string; memoryLimit: string };
  replicas: { min: number; max: number };
  env?: Record<string, string>;
  service: boolean;
}

function container(w: Workload) {
  return {
    name: w.component,
    image: IMAGE,
    imagePullPolicy: 'IfNotPresent',
    command: w.command,
    ports: [{ name: w.portName, containerPort: w.port, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: CONFIG } }, { secretRef: { name: SECRET } }],
    env: Object.entries(w.env ?? {}).map(([name, value]) => ({ name, value })),
    resources: { requests: { cpu: w.resources.cpu, memory: w.resources.memory }, limits: { cpu: w.resources.cpuLimit, memory: w.resources.memoryLimit } },
    startupProbe: { httpGet: { path: '/health', port: w.portName }, periodSeconds: 2, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: '/health', port: w.portName }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/ready', port: w.portName }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
    securityContext: SECURITY.container,
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function workload(scope: Construct, w: Workload): void {
  new ApiObject(scope, `${w.name}-deployment`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: NAMESPACE, labels: labels(w.component) },
    spec: {
      replicas: w.replicas.min,
      revisionHistoryLimit: 5,
      selector: { matchLabels: labels(w.component) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(w.component) },
        spec: {
          securityContext: SECURITY.pod,
          // SIGTERM starts the ordered shutdown (servers, then workers' active jobs, then pools)
          terminationGracePeriodSeconds: 60,
          automountServiceAccountToken: false,
          containers: [container(w)],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  });
  new ApiObject(scope, `${w.name}-hpa`, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: w.name, namespace: NAMESPACE, labels: labels(w.component) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name },
      minReplicas: w.replicas.min,
      maxReplicas: w.replicas.max,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    },
  });
  if (w.service) {
    new ApiObject(scope, `${w.name}-service`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: w.name, namespace: NAMESPACE, labels: labels(w.component) },
      spec: { type: 'ClusterIP', selector: labels(w.component), ports: [{ name: w.portName, port: w.port, targetPort: w.portName, protocol: 'TCP' }] },
    });
  }
}

export class CityChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { disableResourceNameHashes: true });
    new ApiObject(this, 'namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { 'app.kubernetes.io/name': 'citypoints' } } });
    new ApiObject(this, 'config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIG, namespace: NAMESPACE, labels: labels('config') },
      data: {
        NODE_ENV: 'production',
        QUEUE_BACKEND: 'redis',
        DEMO_DATA: 'off',
        SUBGRAPH_HOST: '0.0.0.0',
        GATEWAY_PORT: String(GATEWAY_PORT),
        ...Object.fromEntries(Object.entries(PORTS).map(([k, v]) => [k, String(v)])),
        SUBGRAPH_URLS: SUBGRAPHS.map((s) => `${s.name}=http://${s.name}:${PORTS[s.portVariable]}/graphql`).join(','),
        LOG_LEVEL: 'info',
      },
    });
    workload(this, {
      name: 'gateway',
      component: 'gateway',
      command: ['node', 'dist/gateway/src/main.js'],
      port: GATEWAY_PORT,
      portName: 'http',
      resources: { cpu: '250m', memory: '256Mi', cpuLimit: '1', memoryLimit: '512Mi' },
      replicas: { min: 2, max: 10 },
      service: true,
    });
    for (const s of SUBGRAPHS) {
      workload(this, {
        name: s.name,
        component: `${s.name}-server`,
        command: ['node', `dist/subgraphs/${s.name}/src/main.js`],
        port: PORTS[s.portVariable],
        portName: 'http',
        resources: { cpu: '200m', memory: '256Mi', cpuLimit: '1', memoryLimit: '512Mi' },
        replicas: { min: 2, max: 8 },
        service: true,
      });
      workload(this, {
        name: `${s.name}-worker`,
        component: `${s.name}-worker`,
        command: ['node', `dist/subgraphs/${s.name}/src/worker.js`],
        port: WORKER_HTTP_PORT,
        portName: 'health',
        resources: { cpu: '100m', memory: '192Mi', cpuLimit: '1', memoryLimit: '512Mi' },
        replicas: { min: 1, max: 4 },
        env: { WORKER_HTTP_PORT: String(WORKER_HTTP_PORT) },
        service: false,
      });
    }
    new ApiObject(this, 'migrate', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'citypoints-migrate', namespace: NAMESPACE, labels: labels('migrate') },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 1800,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: { labels: labels('migrate') },
          spec: {
            restartPolicy: 'OnFailure',
            securityContext: SECURITY.pod,
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'migrate',
                image: IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['node', 'dist/infra/migrate.js'],
                envFrom: [{ configMapRef: { name: CONFIG } }, { secretRef: { name: SECRET } }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
                securityContext: SECURITY.container,
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });
  }
}

// kubernetes-models is published as ESM only; a real dynamic import loads it from CommonJS
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<Record<string, new (o: unknown) => { validate(): void }>>;

/** Validates every object against the Kubernetes schemas of kubernetes-models; throws naming each failure. */
export async function validate(objects: { apiVersion: string; kind: string; metadata?: { name?: string } }[]): Promise<void> {
  const failures: string[] = [];
  for (const o of objects) {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const mod = await importEsm(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
    const Model = mod[o.kind];
    if (!Model) {
      failures.push(`${o.apiVersion} ${o.kind}: no schema`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      failures.push(`${o.kind}/${o.metadata?.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (failures.length) throw new Error(`manifests do not validate:\n  ${failures.join('\n  ')}`);
}

async function main() {
  const check = process.argv.includes('--check');
  const outdir = check ? fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'k8s-')) : OUT;
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.yaml' });
  const chart = new CityChart(app, 'citypoints');
  const objects = chart.toJson();
  await validate(objects);
  if (!check) fs.rmSync(OUT, { recursive: true, force: true });
  app.synth();
  if (check) {
    const fresh = fs.readFileSync(path.join(outdir, 'citypoints.yaml'), 'utf8');
    const committed = fs.existsSync(path.join(OUT, 'citypoints.yaml')) ? fs.readFileSync(path.join(OUT, 'citypoints.yaml'), 'utf8') : '';
    fs.rmSync(outdir, { recursive: true, force: true });
    if (fresh !== committed) throw new Error('infra/k8s/citypoints.yaml differs from what infra/deploy/k8s.ts synthesises: run npm run k8s and commit it');
    console.log(`${objects.length} Kubernetes objects validate, and infra/k8s/ is current`);
  } else console.log(`${objects.length} Kubernetes objects validated and written to ${path.relative(process.cwd(), OUT)}/citypoints.yaml`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
