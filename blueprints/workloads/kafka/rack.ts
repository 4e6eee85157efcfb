/**
 * Where `broker.rack` comes from. A container cannot read its node's labels by itself: the downward
 * API exposes pod fields only, so either a small init step reads the Node object from the API
 * server (works on every cluster, needs `get` on nodes through a ClusterRole), or the cluster copies
 * the zone label onto the pod at binding (KEP-4742 `PodTopologyLabelsAdmission`: alpha in
 * Kubernetes 1.33, beta and on by default from 1.35) and the downward API passes it in.
 */
import { propError } from '../../../lib/k8s/errors';
import { validateImage } from '../../../lib/k8s/image';
import { ZONE_LABEL } from '../../../lib/k8s/scheduling';

/** Options of {@link KafkaRack.fromNodeLabel}. */
export interface KafkaNodeLabelRackOptions {
  /**
   * The node label whose value becomes `broker.rack`.
   * @default "topology.kubernetes.io/zone"
   */
  readonly topologyKey?: string;
  /**
   * Image of the init container that reads the Node (needs `/bin/sh`, `sed` and `curl`). It runs
   * with the broker's non-root uid and a read-only root filesystem.
   * @default "curlimages/curl:8.14.1"
   */
  readonly image?: string;
  /**
   * CIDR of the API server endpoints, for the init container's egress rule (ports 443 and 6443).
   * @default "0.0.0.0/0"
   */
  readonly apiServerCidr?: string;
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** The source of each broker's `broker.rack`. Use the static factories. */
export class KafkaRack {
  /** Default image of the init container of {@link KafkaRack.fromNodeLabel}. */
  public static readonly DEFAULT_INIT_IMAGE = 'curlimages/curl:8.14.1';

  /**
   * Read a label of the broker's node from the API server in an init container (like Strimzi's
   * `kafka-init`). The blueprint creates a ServiceAccount, a ClusterRole allowing `get` on nodes,
   * and its binding; only the init container sees the (short-lived, projected) token.
   *
   * @throws PropError for a bad label key, an unpinned image or a bad CIDR
   */
  public static fromNodeLabel(options: KafkaNodeLabelRackOptions = {}): KafkaRack {
    const ctx = 'KafkaRack.fromNodeLabel';
    const topologyKey = options.topologyKey ?? ZONE_LABEL;
    if (typeof topologyKey !== 'string' || !LABEL_KEY.test(topologyKey) || topologyKey.length > 316) {
      throw propError(ctx, 'topologyKey', topologyKey, 'a label key such as "topology.kubernetes.io/zone"');
    }
    const image = validateImage(ctx, 'image', options.image ?? KafkaRack.DEFAULT_INIT_IMAGE);
    const cidr = options.apiServerCidr ?? '0.0.0.0/0';
    if (typeof cidr !== 'string' || !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(cidr)) {
      throw propError(ctx, 'apiServerCidr', cidr, 'a CIDR such as 10.0.0.0/16');
    }
    return new KafkaRack('nodeLabel', topologyKey, image, cidr);
  }

  /**
   * Take the zone from the pod's own `topology.kubernetes.io/zone` label through the downward API.
   * The label is set by the `PodTopologyLabelsAdmission` feature (Kubernetes 1.35+, or 1.33+ with the
   * feature gate): no API access, no ClusterRole. A broker refuses to start when the label is missing.
   */
  public static fromPodTopologyLabel(): KafkaRack {
    return new KafkaRack('podLabel', ZONE_LABEL, undefined, undefined);
  }

  /** No `broker.rack` (single-zone clusters, or racks managed outside Kubernetes). */
  public static disabled(): KafkaRack {
    return new KafkaRack('disabled', undefined, undefined, undefined);
  }

  private constructor(
    /** `nodeLabel`, `podLabel` or `disabled`. */
    public readonly source: 'nodeLabel' | 'podLabel' | 'disabled',
    /** The label key. */
    public readonly topologyKey: string | undefined,
    /** The init container image (nodeLabel). */
    public readonly initImage: string | undefined,
    /** API server CIDR (nodeLabel). */
    public readonly apiServerCidr: string | undefined,
  ) {}

  /** Whether brokers get a `broker.rack`. */
  public get enabled(): boolean {
    return this.source !== 'disabled';
  }

  /** A short description. */
  public toString(): string {
    return this.enabled ? `${this.source}(${this.topologyKey})` : 'disabled';
  }
}
