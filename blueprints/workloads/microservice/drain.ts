/**
 * Connection draining on shutdown: a pause in `preStop` so that endpoints controllers, kube-proxy,
 * ingress controllers and meshes stop sending new requests before the application gets SIGTERM.
 */
import { Duration } from 'cdk8s';
import { propError } from '../../../lib/k8s/errors';

/** How the pause is implemented. */
export class DrainMethod {
  /** The kubelet's built-in `preStop.sleep` action (Kubernetes 1.30+, no binary needed in the image). */
  public static readonly SLEEP_ACTION = new DrainMethod('sleep-action');
  /** `preStop.exec: ["sleep", "<n>"]`: works on every Kubernetes version; the image must have a `sleep` binary. */
  public static readonly EXEC_SLEEP = new DrainMethod('exec-sleep');
  /** No pause. */
  public static readonly NONE = new DrainMethod('none');
  private constructor(
    /** Name. */
    public readonly name: string,
  ) {}
}

/**
 * The `preStop` pause of a service. `Drain.sleep(Duration.seconds(5))` (the default),
 * `Drain.execSleep(...)` for clusters older than 1.30, or `Drain.none()`.
 */
export class Drain {
  /**
   * Pause with the kubelet's `sleep` lifecycle action (PodLifecycleSleepAction, beta and on by
   * default since Kubernetes 1.30). Works with distroless images.
   *
   * @throws PropError unless the pause is a whole number of seconds >= 1
   */
  public static sleep(duration: Duration): Drain {
    return new Drain(DrainMethod.SLEEP_ACTION, wholeSeconds('Drain.sleep', duration));
  }

  /**
   * Pause by running `sleep <n>` in the container (inside the VM under Kata). Needs a `sleep`
   * binary in the image; for clusters before Kubernetes 1.30.
   *
   * @throws PropError unless the pause is a whole number of seconds >= 1
   */
  public static execSleep(duration: Duration): Drain {
    return new Drain(DrainMethod.EXEC_SLEEP, wholeSeconds('Drain.execSleep', duration));
  }

  /** No pause: for services whose clients retry, or that drain by themselves on SIGTERM. */
  public static none(): Drain {
    return new Drain(DrainMethod.NONE, 0);
  }

  private constructor(
    /** How the pause is implemented. */
    public readonly method: DrainMethod,
    /** Length of the pause in seconds (0 for none). */
    public readonly seconds: number,
  ) {}

  /** The container `lifecycle` (as JSON, since the 1.28 L1 types predate the sleep action), or undefined. */
  public lifecycle(): Record<string, unknown> | undefined {
    if (this.method === DrainMethod.SLEEP_ACTION) return { preStop: { sleep: { seconds: this.seconds } } };
    if (this.method === DrainMethod.EXEC_SLEEP)
      return { preStop: { exec: { command: ['sleep', String(this.seconds)] } } };
    return undefined;
  }

  /** A short description. */
  public toString(): string {
    return this.method === DrainMethod.NONE ? 'none' : `${this.method.name}(${this.seconds}s)`;
  }
}

function wholeSeconds(context: string, d: Duration): number {
  if (!d || typeof d.toMilliseconds !== 'function') {
    throw propError(context, 'duration', d, 'a cdk8s Duration such as Duration.seconds(5)');
  }
  const s = d.toMilliseconds({ integral: false }) / 1000;
  if (!Number.isInteger(s) || s < 1)
    throw propError(context, 'duration', `${s}s`, 'a whole number of seconds >= 1');
  return s;
}
