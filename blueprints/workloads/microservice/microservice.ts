/**
 * `KataMicroservice`: a stateless API service (Deployment, Service, PDB, HPA, NetworkPolicy,
 * optional Ingress or LoadBalancer) whose pods run in Kata VMs by default, or on runc when the
 * service is trusted, so that a platform can mix both side by side.
 */
import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { containerSpec } from '../../../lib/k8s/container';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { validateImage } from '../../../lib/k8s/image';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import {
  Connections,
  INetworkEndpoint,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
} from '../../../lib/k8s/network';
import { podDisruptionBudget } from '../../../lib/k8s/pdb';
import { sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import { mibQuantity, ResolvedResources, resolveResources } from '../../../lib/k8s/units';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import { Drain } from './drain';
import { EnvFrom, EnvRef, renderEnv } from './env';
import { Expose, ExposeKind } from './expose';
import { ServiceMesh } from './mesh';
import {
  AppProtocol,
  ISTIO_PROXY_UID,
  ISTIO_RESERVED_PORTS,
  ServicePortSpec,
  validatePort,
  validatePortName,
} from './ports';
import { ProbePortRef, ProbeRole, ServiceProbe } from './probe';
import { ServiceVolume } from './volumes';

/** Annotation through which a blueprint declares a setting that is allowed but not for production. */
const WARNING_ANNOTATION = 'kata-blueprints.io/warning';

/**
 * The smallest memory limit of a service container in a Kata VM, in MiB.
 *
 * Kata sizes the guest from the limits: runtime-rs boots it with `limit + overhead_memory` (32 MiB
 * by default, `docs/how-to/how-to-size-sandbox-overhead-runtime-rs.md`), and that memory also holds
 * the guest kernel, the kata-agent and the page cache. Kata maintainers state that "kata needs more
 * than 50M of ram to run" (kata-containers/runtime#3145), and a pod with a 64Mi limit fails to start
 * because QEMU is OOM-killed (kata-containers/kata-containers#7470). 128 MiB leaves the guest's own
 * processes their tens of MiB and the application the rest. The RuntimeClass `overhead.podFixed`
 * (320Mi for QEMU, 130Mi for Cloud Hypervisor) pays for the VMM on the host; it does not give the
 * guest any memory, so it does not lower this floor.
 */
export const KATA_MIN_MEMORY_LIMIT_MIB = 128;

/** Default requests and limits: a small HTTP/gRPC service. */
export const MICROSERVICE_DEFAULT_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(250), limit: Cpu.units(1) },
  memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
  ephemeralStorage: { request: Size.mebibytes(64), limit: Size.mebibytes(512) },
};

/** Default non-root user and group of the service container (>= 10000, which kube-score and Checkov ask for). */
export const MICROSERVICE_DEFAULT_UID = 10001;

/** Horizontal pod autoscaling (autoscaling/v2). */
export interface AutoscalingOptions {
  /** Fewest replicas (>= 1). */
  readonly minReplicas: number;
  /** Most replicas (>= minReplicas). */
  readonly maxReplicas: number;
  /**
   * Target average CPU use, in percent of the CPU request.
   * @default 70 when no memory target is given, otherwise none
   */
  readonly targetCpuUtilization?: number;
  /**
   * Target average memory use, in percent of the memory request.
   * @default - none
   */
  readonly targetMemoryUtilization?: number;
  /**
   * How long the recommendation must stay lower before scaling down (`behavior.scaleDown.stabilizationWindowSeconds`).
   * @default Duration.minutes(5)
   */
  readonly scaleDownStabilization?: Duration;
  /**
   * Most replicas removed per minute, in percent of the current count (`behavior.scaleDown.policies`).
   * At least one pod can always be removed.
   * @default 25
   */
  readonly scaleDownPercentPerMinute?: number;
}

/** Props of {@link KataMicroservice}. */
export interface KataMicroserviceProps {
  /** Container image, pinned by tag (not `latest`) or by digest. */
  readonly image: string;
  /**
   * Name of the Deployment, Service, ServiceAccount, PDB, HPA and NetworkPolicy (DNS-1035 label).
   * @default - derived from the construct id
   */
  readonly name?: string;
  /**
   * Main port the container listens on.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Application protocol of the main port; it names the port (`http`, `grpc`...) and sets `appProtocol`.
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;
  /**
   * Port number of the main port on the Service.
   * @default - the container port
   */
  readonly servicePort?: number;
  /**
   * Further named ports (admin, metrics, a second protocol).
   * @default - none
   */
  readonly extraPorts?: readonly ServicePortSpec[];
  /**
   * Fixed number of replicas. Mutually exclusive with `autoscaling`.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Scale with a HorizontalPodAutoscaler instead of a fixed replica count.
   * @default - fixed replicas
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * Requests and limits of the service container. A missing request defaults to the limit and a
   * missing limit to the request; limits are always set because Kata sizes the VM from them.
   * @default - CPU 250m request / 1 limit, memory 256Mi / 256Mi, ephemeral storage 64Mi / 512Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Environment variables: literal strings, or `EnvRef.secret(...)`, `EnvRef.configMap(...)`, `EnvRef.field(...)`.
   * @default - none
   */
  readonly env?: Readonly<Record<string, string | EnvRef>>;
  /**
   * Whole ConfigMaps and Secrets as environment variables.
   * @default - none
   */
  readonly envFrom?: readonly EnvFrom[];
  /**
   * Entrypoint.
   * @default - the image's
   */
  readonly command?: readonly string[];
  /**
   * Arguments.
   * @default - the image's
   */
  readonly args?: readonly string[];
  /**
   * Readiness probe: decides whether the pod receives traffic.
   * @default ServiceProbe.tcp() on the main port
   */
  readonly readiness?: ServiceProbe;
  /**
   * Liveness probe: restarts a wedged container. Defaults to a more lenient check than readiness.
   * @default ServiceProbe.tcp() on the main port
   */
  readonly liveness?: ServiceProbe;
  /**
   * Startup probe, for slow starters: liveness and readiness wait until it succeeds.
   * @default - none
   */
  readonly startup?: ServiceProbe;
  /**
   * The preStop pause that lets load balancers and endpoints stop sending traffic before SIGTERM.
   * @default Drain.sleep(Duration.seconds(5))
   */
  readonly drain?: Drain;
  /**
   * `terminationGracePeriodSeconds`: the drain pause plus the application's own shutdown time.
   * @default - the drain pause + 25 seconds
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * How the service is reached: `Expose.clusterIp()`, `Expose.loadBalancer({...})` or `Expose.ingress({...})`.
   * @default Expose.clusterIp()
   */
  readonly expose?: Expose;
  /**
   * How replicas spread over hosts and zones (hostname anti-affinity plus zone topology spread).
   * @default SpreadPolicy.PREFERRED
   */
  readonly spread?: SpreadPolicy;
  /**
   * How the pods are isolated: `Sandbox.kata(...)`, `Sandbox.legacyUntrusted(...)` or `Sandbox.trusted()`.
   * @default Sandbox.kata() (KataRuntime.QEMU)
   */
  readonly sandbox?: Sandbox;
  /**
   * Service mesh: `ServiceMesh.istio({...})`, `ServiceMesh.NO_SIDECAR` or `ServiceMesh.NAMESPACE_DEFAULT`.
   * @default ServiceMesh.NAMESPACE_DEFAULT
   */
  readonly mesh?: ServiceMesh;
  /**
   * User id the container runs as (not 0; not 1337, which Istio reserves for its proxy).
   * @default 10001
   */
  readonly user?: number;
  /**
   * Group id the container runs as, also the `fsGroup` of mounted volumes.
   * @default - the user id
   */
  readonly group?: number;
  /**
   * Secrets, ConfigMaps and scratch directories mounted into the container.
   * @default - none besides /tmp
   */
  readonly volumes?: readonly ServiceVolume[];
  /**
   * Size limit of the writable `/tmp` (an emptyDir; the root filesystem is read-only).
   * @default Size.mebibytes(64)
   */
  readonly tmpSize?: Size;
  /**
   * Annotations of the service's ServiceAccount, e.g. `eks.amazonaws.com/role-arn` for IRSA or
   * `iam.gke.io/gcp-service-account` for GKE Workload Identity.
   * @default - none
   */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /**
   * Mount the service-account token (only for services that call the Kubernetes API).
   * @default false
   */
  readonly serviceAccountToken?: boolean;
  /**
   * PriorityClass of the pods.
   * @default - none (the cluster default)
   */
  readonly priorityClassName?: string;
  /**
   * The application the service belongs to (`app.kubernetes.io/part-of`).
   * @default - the service name
   */
  readonly partOf?: string;
}

/** A container port with everything the Service and NetworkPolicy need. */
interface ResolvedPort {
  readonly name: string;
  readonly port: number;
  readonly servicePort: number;
  readonly appProtocol?: AppProtocol;
  readonly protocol: 'TCP' | 'UDP';
  readonly expose: boolean;
}

/**
 * A stateless API service in Kata VMs (or on runc, for the trusted half of a platform).
 *
 * Synthesizes a Deployment whose pods go through the sandbox contract (runtime class, restricted
 * security context, limits), a ServiceAccount without a token, a Service with named ports and
 * `appProtocol`, a PodDisruptionBudget and spread constraints for more than one replica, an
 * autoscaling/v2 HorizontalPodAutoscaler when asked, an Ingress or a LoadBalancer when exposed,
 * and a default-deny NetworkPolicy that typed connections open (`allowFrom`, `allowTo`).
 */
export class KataMicroservice extends Construct implements INetworkEndpoint {
  /** Name of the Deployment, Service and the other objects. */
  public readonly name: string;
  /** The Deployment (`apps/v1`). */
  public readonly deployment: ApiObject;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The ServiceAccount. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The NetworkPolicy of the pods. */
  public readonly networkPolicy: PodNetworkPolicy;
  /** The network side: the pods as a peer, their policy and the client ports. */
  public readonly connections: Connections;
  /** The PodDisruptionBudget (more than one replica, or autoscaling). */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The HorizontalPodAutoscaler (autoscaling only). */
  public readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The Ingress (`Expose.ingress` only). */
  public readonly ingress?: k8s.KubeIngress;
  /** Selector labels of the pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** How the pods are isolated. */
  public readonly sandbox: Sandbox;
  /** The main port on the Service. */
  public readonly servicePort: number;
  /** The Service's in-cluster DNS name, e.g. `checkout.apps.svc.cluster.local`. */
  public readonly serviceHost: string;

  constructor(scope: Construct, id: string, props: KataMicroserviceProps) {
    super(scope, id);
    const ctx = constructContext('KataMicroservice', id);
    if (!props || typeof props !== 'object')
      throw propError(ctx, 'props', props, 'a KataMicroserviceProps object with an image');
    const name = validateDnsName(ctx, 'name', props.name ?? defaultName(id), 63);
    this.name = name;
    if (props.sandbox !== undefined && !(props.sandbox instanceof Sandbox)) {
      throw propError(
        ctx,
        'sandbox',
        props.sandbox,
        'Sandbox.kata(...), Sandbox.legacyUntrusted(...) or Sandbox.trusted()',
      );
    }
    const sandbox = props.sandbox ?? Sandbox.kata();
    this.sandbox = sandbox;
    if (props.mesh !== undefined && !(props.mesh instanceof ServiceMesh)) {
      throw propError(
        ctx,
        'mesh',
        props.mesh,
        'ServiceMesh.istio({...}), ServiceMesh.NO_SIDECAR or ServiceMesh.NAMESPACE_DEFAULT',
      );
    }
    const mesh = props.mesh ?? ServiceMesh.NAMESPACE_DEFAULT;
    const expose = props.expose ?? Expose.clusterIp();
    if (!(expose instanceof Expose)) {
      throw propError(
        ctx,
        'expose',
        props.expose,
        'Expose.clusterIp(), Expose.loadBalancer({...}) or Expose.ingress({...})',
      );
    }
    if (props.image === undefined || props.image === null || props.image === '') {
      throw propError(
        ctx,
        'image',
        props.image,
        'a pinned image such as "registry.example.com/team/app:1.4.2" (image is required)',
      );
    }
    validateImage(ctx, 'image', props.image);

    // Ports.
    const ports = resolvePorts(ctx, props, mesh);
    const main = ports[0];
    this.servicePort = main.servicePort;

    // Replicas and autoscaling.
    const scaling = resolveScaling(ctx, props);

    // Resources: Kata sizes the VM from the limits, so they are always set and have a floor.
    const givenResources: ContainerResources = {
      ...(props.resources?.cpu ? { cpu: props.resources.cpu } : {}),
      ...(props.resources?.memory ? { memory: props.resources.memory } : {}),
      ephemeralStorage: props.resources?.ephemeralStorage ?? MICROSERVICE_DEFAULT_RESOURCES.ephemeralStorage,
    };
    const resources = resolveResources(ctx, 'resources', givenResources, MICROSERVICE_DEFAULT_RESOURCES);
    checkVmMemory(ctx, sandbox, resources);

    // Identity.
    const user = checkId(ctx, 'user', props.user ?? MICROSERVICE_DEFAULT_UID, mesh);
    const group = checkId(ctx, 'group', props.group ?? user, mesh);

    // Probes.
    const probePorts: ProbePortRef[] = ports.map((p) => ({ name: p.name, port: p.port }));
    const mainRef = probePorts[0];
    for (const [prop, probe] of [
      ['readiness', props.readiness],
      ['liveness', props.liveness],
      ['startup', props.startup],
    ] as const) {
      if (probe !== undefined && !(probe instanceof ServiceProbe)) {
        throw propError(
          ctx,
          prop,
          probe,
          'a ServiceProbe: ServiceProbe.http(path), .grpc(service?), .tcp() or .exec([...])',
        );
      }
    }
    const readinessProbe = (props.readiness ?? ServiceProbe.tcp()).render(
      ctx,
      'readiness',
      ProbeRole.READINESS,
      mainRef,
      probePorts,
    );
    const livenessProbe = (props.liveness ?? ServiceProbe.tcp()).render(
      ctx,
      'liveness',
      ProbeRole.LIVENESS,
      mainRef,
      probePorts,
    );
    const startupProbe = props.startup?.render(ctx, 'startup', ProbeRole.STARTUP, mainRef, probePorts);

    // Shutdown.
    if (props.drain !== undefined && !(props.drain instanceof Drain)) {
      throw propError(
        ctx,
        'drain',
        props.drain,
        'Drain.sleep(duration), Drain.execSleep(duration) or Drain.none()',
      );
    }
    const drain = props.drain ?? Drain.sleep(Duration.seconds(5));
    const grace = resolveGrace(ctx, props.terminationGracePeriod, drain);

    // Volumes: /tmp plus the user's, no duplicate or (under Kata) nested mount paths.
    const tmp = ServiceVolume.emptyDir('/tmp', props.tmpSize ?? Size.mebibytes(64), 'tmp');
    const { volumes, mounts } = resolveVolumes(ctx, sandbox, [tmp, ...(props.volumes ?? [])]);

    // Labels.
    const version = imageVersion(props.image);
    const labels = componentLabels(name, name, 'server', version);
    if (props.partOf !== undefined) {
      if (
        typeof props.partOf !== 'string' ||
        !/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(props.partOf)
      ) {
        throw propError(
          ctx,
          'partOf',
          props.partOf,
          'a label value: at most 63 letters, digits, "-", "_" and "."',
        );
      }
      labels.all['app.kubernetes.io/part-of'] = props.partOf;
    }
    this.selector = { ...labels.selector };
    const namespace = Chart.of(this).namespace;
    this.serviceHost = `${name}.${namespace ?? 'default'}.svc.cluster.local`;

    // ServiceAccount: one per service, no token unless asked.
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name,
        labels: { ...labels.all },
        ...(props.serviceAccountAnnotations && Object.keys(props.serviceAccountAnnotations).length
          ? { annotations: sortedRecord(props.serviceAccountAnnotations) }
          : {}),
      },
      automountServiceAccountToken: props.serviceAccountToken ?? false,
    });

    // Container and pod.
    const digestPinned = /@sha256:[a-f0-9]{64}$/.test(props.image);
    const container = containerSpec({
      context: ctx,
      name,
      image: props.image,
      imagePullPolicy: digestPinned ? 'IfNotPresent' : 'Always',
      ...(props.command ? { command: checkStrings(ctx, 'command', props.command) } : {}),
      ...(props.args ? { args: checkStrings(ctx, 'args', props.args) } : {}),
      ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
      env: renderEnv(ctx, props.env),
      envFrom: (props.envFrom ?? []).map((e, i) => {
        if (!(e instanceof EnvFrom))
          throw propError(ctx, `envFrom[${i}]`, e, 'EnvFrom.configMap(name) or EnvFrom.secret(name)');
        return e.source;
      }),
      resources,
      readinessProbe,
      livenessProbe,
      ...(startupProbe ? { startupProbe } : {}),
      volumeMounts: mounts,
      securityContext: {
        runAsUser: user,
        runAsGroup: group,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
      },
    });
    const spread = props.spread ?? SpreadPolicy.PREFERRED;
    if (!(spread instanceof SpreadPolicy)) {
      throw propError(
        ctx,
        'spread',
        props.spread,
        'a SpreadPolicy preset (SpreadPolicy.PREFERRED, ONE_PER_HOST, STRICT_ZONES, NONE)',
      );
    }
    const placement = spread.render(labels.selector, scaling.maxReplicas);
    if (
      props.priorityClassName !== undefined &&
      (typeof props.priorityClassName !== 'string' ||
        props.priorityClassName.length > 253 ||
        !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(props.priorityClassName))
    ) {
      throw propError(
        ctx,
        'priorityClassName',
        props.priorityClassName,
        'a PriorityClass name (DNS-1123 subdomain)',
      );
    }
    const template = sandboxedPodTemplate({
      context: ctx,
      sandbox,
      labels: { ...labels.all, ...mesh.podLabels() },
      annotations: mesh.podAnnotations(drain.seconds),
      containers: [container],
      volumes,
      serviceAccountName: name,
      serviceAccountToken: props.serviceAccountToken ?? false,
      terminationGracePeriodSeconds: grace,
      securityContext: { runAsUser: user, runAsGroup: group, fsGroup: group, runAsNonRoot: true },
      ...(placement.affinity ? { affinity: placement.affinity } : {}),
      ...(placement.topologySpreadConstraints
        ? { topologySpreadConstraints: placement.topologySpreadConstraints }
        : {}),
      ...(props.priorityClassName ? { priorityClassName: props.priorityClassName } : {}),
    });

    const warnings: string[] = [];
    if (scaling.replicas === 1) {
      warnings.push('replicas 1: no redundancy, every rollout, node drain or VM restart is an outage');
    }
    if (mesh.injects && sandbox.isolated) {
      warnings.push(
        'Istio sidecar in a Kata VM: the redirect rules must be set up inside the guest by the istio-init container ' +
          '(NET_ADMIN and NET_RAW, which Pod Security restricted refuses) with netfilter in the guest kernel ' +
          '(Kata docs/how-to/service-mesh.md); Istio CNI writes them into the host-side pod network namespace, ' +
          "which a Kata pod's traffic does not pass through (kata-containers#11107, istio/istio#60876)",
      );
    }
    const deploymentSpec: k8s.DeploymentSpec = {
      ...(scaling.autoscaling ? {} : { replicas: scaling.replicas }),
      selector: { matchLabels: { ...labels.selector } },
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: 600,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxSurge: k8s.IntOrString.fromString('25%'),
          maxUnavailable: k8s.IntOrString.fromNumber(0),
        },
      },
      template,
    };
    // A plain ApiObject rather than k8s.KubeDeployment: the 1.28 L1 types predate the preStop sleep
    // action and their serializer would drop it, so the lifecycle is added to the serialized spec.
    const specJson = k8s.toJson_DeploymentSpec(deploymentSpec) as {
      template: { spec: { containers: Array<Record<string, unknown>> } };
    };
    const lifecycle = drain.lifecycle();
    if (lifecycle) specJson.template.spec.containers[0].lifecycle = lifecycle;
    this.deployment = new ApiObject(this, 'Deployment', {
      ...k8s.KubeDeployment.GVK,
      metadata: {
        name,
        labels: { ...labels.all },
        ...(warnings.length ? { annotations: { [WARNING_ANNOTATION]: warnings.join('; ') } } : {}),
      },
      spec: specJson,
    });

    // Service.
    const published = ports.filter((p) => p.expose);
    const lb = expose.kind === ExposeKind.LOAD_BALANCER ? expose.loadBalancerOptions : undefined;
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        name,
        labels: { ...labels.all },
        ...(lb?.annotations && Object.keys(lb.annotations).length
          ? { annotations: sortedRecord(lb.annotations) }
          : {}),
      },
      spec: {
        type: expose.serviceType,
        selector: { ...labels.selector },
        ports: published.map((p) => ({
          name: p.name,
          port: p.servicePort,
          targetPort: k8s.IntOrString.fromString(p.name),
          protocol: p.protocol,
          ...(p.appProtocol ? { appProtocol: p.appProtocol.value } : {}),
        })),
        ...(lb?.sourceRanges ? { loadBalancerSourceRanges: [...lb.sourceRanges] } : {}),
        ...(lb?.loadBalancerClass ? { loadBalancerClass: lb.loadBalancerClass } : {}),
        ...(lb ? { externalTrafficPolicy: lb.preserveClientIp ? 'Local' : 'Cluster' } : {}),
      },
    });

    // Disruption budget: one pod at a time, and drains may evict pods that are not ready (stateless).
    if (scaling.maxReplicas > 1) {
      this.podDisruptionBudget = podDisruptionBudget(this, 'PodDisruptionBudget', {
        context: ctx,
        name,
        labels: { ...labels.all },
        selector: labels.selector,
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      });
    }

    // Autoscaler.
    if (scaling.autoscaling) {
      this.autoscaler = autoscaler(this, name, labels.all, scaling.autoscaling, mesh.injects);
    }

    // NetworkPolicy: default deny, DNS, then what the exposure and the mesh need.
    this.networkPolicy = new PodNetworkPolicy(this, 'NetworkPolicy', {
      context: ctx,
      name,
      selector: labels.selector,
      labels: { ...labels.all },
    });
    const clientPorts: NetworkPort[] = published.map((p) => ({ port: p.port, protocol: p.protocol }));
    this.connections = new Connections(
      NetworkPeer.pods(labels.selector, namespace),
      this.networkPolicy,
      clientPorts,
    );
    if (lb) {
      const sources =
        lb.preserveClientIp && lb.sourceRanges
          ? lb.sourceRanges.map((r) => NetworkPeer.ipBlock(r))
          : [NetworkPeer.anywhere()];
      for (const peer of sources) this.networkPolicy.allowIngress(peer, clientPorts);
    }
    if (expose.kind === ExposeKind.INGRESS) {
      const o = expose.ingressOptions!;
      this.networkPolicy.allowIngress(NetworkPeer.namespace(o.controllerNamespace), [
        { port: main.port, protocol: 'TCP' },
      ]);
      const ingressAnnotations: Record<string, string> = {
        ...(o.annotations ? sortedRecord(o.annotations) : {}),
        ...(o.tlsSecret
          ? {}
          : {
              [WARNING_ANNOTATION]: `Ingress for ${o.host} without tlsSecret: clients reach the service over plain HTTP`,
            }),
      };
      this.ingress = new k8s.KubeIngress(this, 'Ingress', {
        metadata: {
          name,
          labels: { ...labels.all },
          ...(Object.keys(ingressAnnotations).length ? { annotations: ingressAnnotations } : {}),
        },
        spec: {
          ...(o.ingressClassName ? { ingressClassName: o.ingressClassName } : {}),
          ...(o.tlsSecret ? { tls: [{ hosts: [o.host], secretName: o.tlsSecret }] } : {}),
          rules: [
            {
              host: o.host,
              http: {
                paths: [
                  {
                    path: o.path,
                    pathType: o.exactPath ? 'Exact' : 'Prefix',
                    backend: { service: { name, port: { name: main.name } } },
                  },
                ],
              },
            },
          ],
        },
      });
    }
    if (mesh.injects) {
      // The proxy fetches its configuration and certificates from istiod (xDS and CA on 15012).
      this.networkPolicy.allowEgress(NetworkPeer.pods({ app: 'istiod' }, mesh.istioNamespace), [
        { port: 15012, protocol: 'TCP' },
      ]);
    }
  }

  /**
   * Lets `other` (a blueprint or a peer) call this service on its published ports (or `ports`).
   * For a blueprint, both NetworkPolicies are opened.
   */
  public allowFrom(other: INetworkEndpoint | NetworkPeer, ports?: readonly NetworkPort[]): void {
    this.connections.allowFrom(other, ports ?? this.connections.clientPorts);
  }

  /**
   * Lets this service call `other`: a blueprint (Vault, Kafka, Cassandra, another microservice) on
   * its client ports, or a peer such as `NetworkPeer.anywhere()` for external APIs (pass `ports`).
   */
  public allowTo(other: INetworkEndpoint | NetworkPeer, ports?: readonly NetworkPort[]): void {
    this.connections.allowTo(other, ports);
  }
}

/** Checks the ports: numbers, names, duplicates, and the ports an Istio sidecar would take. */
function resolvePorts(ctx: string, props: KataMicroserviceProps, mesh: ServiceMesh): ResolvedPort[] {
  if (props.protocol !== undefined && !(props.protocol instanceof AppProtocol)) {
    throw propError(
      ctx,
      'protocol',
      props.protocol,
      'an AppProtocol (AppProtocol.HTTP, .GRPC, .TCP, ... or AppProtocol.custom(...))',
    );
  }
  const protocol = props.protocol ?? AppProtocol.HTTP;
  const port = validatePort(ctx, 'port', props.port ?? 8080);
  const out: ResolvedPort[] = [
    {
      name: protocol.portNamePrefix,
      port,
      servicePort: validatePort(ctx, 'servicePort', props.servicePort ?? port),
      appProtocol: protocol,
      protocol: 'TCP',
      expose: true,
    },
  ];
  for (const [i, p] of (props.extraPorts ?? []).entries()) {
    const prop = `extraPorts[${i}]`;
    if (!p || typeof p !== 'object') throw propError(ctx, prop, p, 'a port spec {name, port, appProtocol?}');
    if (p.appProtocol !== undefined && !(p.appProtocol instanceof AppProtocol)) {
      throw propError(ctx, `${prop}.appProtocol`, p.appProtocol, 'an AppProtocol');
    }
    const resolved: ResolvedPort = {
      name: validatePortName(ctx, `${prop}.name`, p.name),
      port: validatePort(ctx, `${prop}.port`, p.port),
      servicePort: validatePort(ctx, `${prop}.servicePort`, p.servicePort ?? p.port),
      appProtocol: p.appProtocol ?? (p.udp ? undefined : AppProtocol.TCP),
      protocol: p.udp ? 'UDP' : 'TCP',
      expose: p.expose ?? true,
    };
    const clash = out.find((q) => q.name === resolved.name);
    if (clash)
      throw propError(
        ctx,
        `${prop}.name`,
        resolved.name,
        `a name not used by another port (port ${clash.port} is "${clash.name}")`,
      );
    const numberClash = out.find((q) => q.port === resolved.port && q.protocol === resolved.protocol);
    if (numberClash) {
      throw propError(
        ctx,
        `${prop}.port`,
        resolved.port,
        `a port not used by another port ("${numberClash.name}")`,
      );
    }
    const serviceClash = out.find(
      (q) =>
        q.expose &&
        resolved.expose &&
        q.servicePort === resolved.servicePort &&
        q.protocol === resolved.protocol,
    );
    if (serviceClash) {
      throw propError(
        ctx,
        `${prop}.servicePort`,
        resolved.servicePort,
        `a Service port not used by "${serviceClash.name}"`,
      );
    }
    out.push(resolved);
  }
  if (mesh.mayInject) {
    for (const [i, p] of out.entries()) {
      if (ISTIO_RESERVED_PORTS.includes(p.port)) {
        throw propError(
          ctx,
          i === 0 ? 'port' : `extraPorts[${i - 1}].port`,
          p.port,
          `a port the Istio sidecar does not use (${ISTIO_RESERVED_PORTS.join(', ')} are Envoy's and the agent's), or mesh: ServiceMesh.NO_SIDECAR`,
        );
      }
    }
  }
  return out;
}

/** Fixed replicas or autoscaling, never both. */
function resolveScaling(
  ctx: string,
  props: KataMicroserviceProps,
): { replicas?: number; maxReplicas: number; autoscaling?: AutoscalingOptions } {
  const a = props.autoscaling;
  if (a !== undefined) {
    if (props.replicas !== undefined) {
      throw propError(
        ctx,
        'replicas',
        props.replicas,
        'no fixed replicas together with autoscaling (the HorizontalPodAutoscaler owns the count; set autoscaling.minReplicas instead)',
      );
    }
    if (!Number.isInteger(a.minReplicas) || a.minReplicas < 1) {
      throw propError(ctx, 'autoscaling.minReplicas', a.minReplicas, 'a whole number >= 1');
    }
    if (!Number.isInteger(a.maxReplicas) || a.maxReplicas < 1) {
      throw propError(ctx, 'autoscaling.maxReplicas', a.maxReplicas, 'a whole number >= 1');
    }
    if (a.minReplicas > a.maxReplicas) {
      throw propError(ctx, 'autoscaling.minReplicas', a.minReplicas, `at most maxReplicas ${a.maxReplicas}`);
    }
    for (const key of ['targetCpuUtilization', 'targetMemoryUtilization'] as const) {
      const v = a[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 1000)) {
        throw propError(ctx, `autoscaling.${key}`, v, 'a whole percentage of the request from 1 to 1000');
      }
    }
    const pct = a.scaleDownPercentPerMinute;
    if (pct !== undefined && (!Number.isInteger(pct) || pct < 1 || pct > 100)) {
      throw propError(ctx, 'autoscaling.scaleDownPercentPerMinute', pct, 'a whole percentage from 1 to 100');
    }
    if (a.scaleDownStabilization !== undefined) {
      const s = a.scaleDownStabilization.toMilliseconds({ integral: false }) / 1000;
      if (!Number.isInteger(s) || s < 0 || s > 3600) {
        throw propError(
          ctx,
          'autoscaling.scaleDownStabilization',
          `${s}s`,
          'a whole number of seconds from 0 to 3600',
        );
      }
    }
    return { maxReplicas: a.maxReplicas, autoscaling: a };
  }
  const replicas = props.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw propError(ctx, 'replicas', replicas, 'a whole number >= 1 (use autoscaling for a variable count)');
  }
  return { replicas, maxReplicas: replicas };
}

/** The memory limit must leave the guest kernel and kata-agent room in a VM sized from it. */
function checkVmMemory(ctx: string, sandbox: Sandbox, r: ResolvedResources): void {
  if (!sandbox.isolated || r.memoryLimitMiB >= KATA_MIN_MEMORY_LIMIT_MIB) return;
  const overhead = sandbox.runtime
    ? ` (the ${sandbox.runtime.overhead.memory} podFixed overhead of ${sandbox.runtime.name} pays for the VMM on the host, not for the guest)`
    : '';
  throw propError(
    ctx,
    'resources.memory.limit',
    mibQuantity(r.memoryLimitMiB),
    `at least ${KATA_MIN_MEMORY_LIMIT_MIB}Mi in a Kata VM (${sandbox}): the VM is sized from the limits and its guest kernel ` +
      `and kata-agent need room besides the application; a 64Mi pod fails to start (kata-containers#7470)${overhead}`,
  );
}

/** A user or group id: non-root, and not Istio's proxy id while a sidecar may be injected. */
function checkId(ctx: string, prop: string, id: number, mesh: ServiceMesh): number {
  if (!Number.isInteger(id) || id < 1 || id > 2147483647) {
    throw propError(ctx, prop, id, 'a non-root id from 1 to 2147483647 (Pod Security restricted)');
  }
  if (id === ISTIO_PROXY_UID && mesh.mayInject) {
    throw propError(
      ctx,
      prop,
      id,
      'an id other than 1337, which Istio reserves for its proxy (traffic from it bypasses the sidecar), or mesh: ServiceMesh.NO_SIDECAR',
    );
  }
  return id;
}

/** terminationGracePeriodSeconds: longer than the drain pause. */
function resolveGrace(ctx: string, given: Duration | undefined, drain: Drain): number {
  if (given === undefined) return drain.seconds + 25;
  if (!given || typeof given.toMilliseconds !== 'function') {
    throw propError(ctx, 'terminationGracePeriod', given, 'a cdk8s Duration such as Duration.seconds(30)');
  }
  const s = given.toMilliseconds({ integral: false }) / 1000;
  if (!Number.isInteger(s) || s < 1)
    throw propError(ctx, 'terminationGracePeriod', `${s}s`, 'a whole number of seconds >= 1');
  if (s <= drain.seconds) {
    throw propError(
      ctx,
      'terminationGracePeriod',
      `${s}s`,
      `more than the ${drain.seconds}s drain pause, or the container is killed before it gets SIGTERM`,
    );
  }
  return s;
}

/** Volumes and mounts, with unique names and paths; nested mounts are refused in a VM. */
function resolveVolumes(
  ctx: string,
  sandbox: Sandbox,
  given: readonly ServiceVolume[],
): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  const names = new Set<string>();
  for (const [i, v] of given.entries()) {
    const prop = i === 0 ? 'tmpSize' : `volumes[${i - 1}]`;
    if (!(v instanceof ServiceVolume)) {
      throw propError(
        ctx,
        prop,
        v,
        'a ServiceVolume: ServiceVolume.secret(...), .configMap(...) or .emptyDir(...)',
      );
    }
    const name = v.name.slice(0, 63).replace(/-+$/, '');
    if (names.has(name)) throw propError(ctx, `${prop}`, v.name, 'a volume that is not mounted twice');
    const clash = mounts.find((m) => m.mountPath === v.mountPath);
    if (clash)
      throw propError(
        ctx,
        `${prop}.mountPath`,
        v.mountPath,
        `a path not already used by volume "${clash.name}"`,
      );
    if (sandbox.isolated) {
      const nested = mounts.find(
        (m) => v.mountPath.startsWith(`${m.mountPath}/`) || m.mountPath.startsWith(`${v.mountPath}/`),
      );
      if (nested) {
        throw propError(
          ctx,
          `${prop}.mountPath`,
          v.mountPath,
          `a path that does not nest with "${nested.mountPath}" (nested ConfigMap/Secret/emptyDir mounts misbehave in Kata VMs, kata-containers#3140)`,
        );
      }
    }
    names.add(name);
    volumes.push(v.toVolume(name));
    mounts.push({ name, mountPath: v.mountPath, ...(v.readOnly ? { readOnly: true } : {}) });
  }
  return { volumes, mounts };
}

/** The autoscaling/v2 HorizontalPodAutoscaler. */
function autoscaler(
  scope: Construct,
  name: string,
  labels: Record<string, string>,
  a: AutoscalingOptions,
  sidecar: boolean,
): k8s.KubeHorizontalPodAutoscalerV2 {
  const targets: Array<[string, number]> = [];
  const cpu = a.targetCpuUtilization ?? (a.targetMemoryUtilization === undefined ? 70 : undefined);
  if (cpu !== undefined) targets.push(['cpu', cpu]);
  if (a.targetMemoryUtilization !== undefined) targets.push(['memory', a.targetMemoryUtilization]);
  // With a sidecar, pod-level utilization mixes in the proxy: measure the service container only.
  const metrics: k8s.MetricSpecV2[] = targets.map(([resource, averageUtilization]) =>
    sidecar
      ? {
          type: 'ContainerResource',
          containerResource: {
            name: resource,
            container: name,
            target: { type: 'Utilization', averageUtilization },
          },
        }
      : {
          type: 'Resource',
          resource: { name: resource, target: { type: 'Utilization', averageUtilization } },
        },
  );
  const stabilization = a.scaleDownStabilization
    ? a.scaleDownStabilization.toMilliseconds({ integral: false }) / 1000
    : 300;
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, 'HorizontalPodAutoscaler', {
    metadata: { name, labels: { ...labels } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics,
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 30 },
            { type: 'Pods', value: 4, periodSeconds: 30 },
          ],
        },
        scaleDown: {
          stabilizationWindowSeconds: stabilization,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: a.scaleDownPercentPerMinute ?? 25, periodSeconds: 60 },
            { type: 'Pods', value: 1, periodSeconds: 60 },
          ],
        },
      },
    },
  });
}

function checkStrings(ctx: string, prop: string, list: readonly string[]): string[] {
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))
    throw propError(ctx, prop, list, 'a list of strings');
  return [...list];
}

function sortedRecord(rec: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k];
  return out;
}
