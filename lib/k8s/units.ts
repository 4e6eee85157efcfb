/**
 * Typed quantities (cdk8s `Size`, cdk8s-plus `Cpu`, cdk8s `Duration`) to Kubernetes quantities and back,
 * with validation that names the prop.
 */
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { cpuToMillis, formatMillis } from '../sandbox/quantity';
import { propError } from './errors';

/** Size in whole MiB, or a PropError when it is not a positive whole number of MiB. */
export function sizeToMiB(context: string, prop: string, size: Size | undefined): number {
  if (size === undefined || size === null || typeof (size as Size).toKibibytes !== 'function') {
    throw propError(context, prop, size, 'a cdk8s Size such as Size.gibibytes(4)');
  }
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  const mib = kib / 1024;
  if (!Number.isFinite(mib) || mib <= 0) throw propError(context, prop, `${size.asString()}`, 'a size > 0');
  if (!Number.isInteger(mib)) throw propError(context, prop, size.asString(), 'a whole number of MiB');
  return mib;
}

/** Size as a canonical Kubernetes quantity string (`512Mi`, `4Gi`). */
export function sizeToQuantity(context: string, prop: string, size: Size): string {
  const mib = sizeToMiB(context, prop, size);
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/** CPU in millicores, or a PropError. */
export function cpuMillis(context: string, prop: string, cpu: Cpu | undefined): number {
  if (!cpu || typeof cpu.amount !== 'string')
    throw propError(context, prop, cpu, 'a cdk8s-plus Cpu such as Cpu.millis(500)');
  let m: number;
  try {
    m = cpuToMillis(cpu.amount);
  } catch {
    throw propError(context, prop, cpu.amount, 'a CPU amount such as Cpu.millis(500) or Cpu.units(2)');
  }
  if (!Number.isFinite(m) || m <= 0) throw propError(context, prop, cpu.amount, 'a CPU amount > 0');
  return m;
}

/** Duration in whole seconds, or a PropError. */
export function durationSeconds(context: string, prop: string, d: Duration, min = 0): number {
  if (!d || typeof d.toSeconds !== 'function')
    throw propError(context, prop, d, 'a cdk8s Duration such as Duration.seconds(30)');
  const s = d.toSeconds();
  if (!Number.isInteger(s) || s < min)
    throw propError(context, prop, `${s}s`, `a whole number of seconds >= ${min}`);
  return s;
}

/** Requests and limits resolved to millicores and MiB. */
export interface ResolvedResources {
  /** CPU request in millicores. */
  readonly cpuRequestMillis: number;
  /** CPU limit in millicores. */
  readonly cpuLimitMillis: number;
  /** Memory request in MiB. */
  readonly memoryRequestMiB: number;
  /** Memory limit in MiB. */
  readonly memoryLimitMiB: number;
  /** Ephemeral storage request in MiB, if any. */
  readonly ephemeralRequestMiB?: number;
  /** Ephemeral storage limit in MiB, if any. */
  readonly ephemeralLimitMiB?: number;
}

/**
 * Resolves resources against defaults: a missing request defaults to the limit and a missing limit
 * to the request; limits are always set; a limit below its request is an error.
 *
 * @param context construct context for messages
 * @param prop the prop name, e.g. `resources` or `broker.resources`
 * @param given what the user gave
 * @param defaults used when the user gave neither request nor limit of a resource
 */
export function resolveResources(
  context: string,
  prop: string,
  given: ContainerResources | undefined,
  defaults: ContainerResources,
): ResolvedResources {
  const g = given ?? {};
  const cpu = g.cpu && (g.cpu.request !== undefined || g.cpu.limit !== undefined) ? g.cpu : defaults.cpu;
  const mem =
    g.memory && (g.memory.request !== undefined || g.memory.limit !== undefined) ? g.memory : defaults.memory;
  const cpuReq = cpu?.request ?? cpu?.limit;
  const cpuLim = cpu?.limit ?? cpu?.request;
  const memReq = mem?.request ?? mem?.limit;
  const memLim = mem?.limit ?? mem?.request;
  if (!cpuLim)
    throw propError(context, `${prop}.cpu.limit`, undefined, 'a CPU limit (Kata sizes the VM from limits)');
  if (!memLim)
    throw propError(
      context,
      `${prop}.memory.limit`,
      undefined,
      'a memory limit (Kata sizes the VM from limits)',
    );
  const r: ResolvedResources = {
    cpuRequestMillis: cpuMillis(context, `${prop}.cpu.request`, cpuReq),
    cpuLimitMillis: cpuMillis(context, `${prop}.cpu.limit`, cpuLim),
    memoryRequestMiB: sizeToMiB(context, `${prop}.memory.request`, memReq),
    memoryLimitMiB: sizeToMiB(context, `${prop}.memory.limit`, memLim),
    ...(given?.ephemeralStorage?.request || given?.ephemeralStorage?.limit
      ? {
          ephemeralRequestMiB: sizeToMiB(
            context,
            `${prop}.ephemeralStorage.request`,
            given.ephemeralStorage.request ?? given.ephemeralStorage.limit,
          ),
          ephemeralLimitMiB: sizeToMiB(
            context,
            `${prop}.ephemeralStorage.limit`,
            given.ephemeralStorage.limit ?? given.ephemeralStorage.request,
          ),
        }
      : {}),
  };
  if (r.cpuLimitMillis < r.cpuRequestMillis) {
    throw propError(
      context,
      `${prop}.cpu.limit`,
      formatMillis(r.cpuLimitMillis),
      `>= the request ${formatMillis(r.cpuRequestMillis)}`,
    );
  }
  if (r.memoryLimitMiB < r.memoryRequestMiB) {
    throw propError(
      context,
      `${prop}.memory.limit`,
      `${r.memoryLimitMiB}Mi`,
      `>= the request ${r.memoryRequestMiB}Mi`,
    );
  }
  if (r.ephemeralLimitMiB !== undefined && r.ephemeralLimitMiB < (r.ephemeralRequestMiB ?? 0)) {
    throw propError(
      context,
      `${prop}.ephemeralStorage.limit`,
      `${r.ephemeralLimitMiB}Mi`,
      `>= the request ${r.ephemeralRequestMiB}Mi`,
    );
  }
  return r;
}

/** MiB as a canonical quantity (`512Mi`, `4Gi`). */
export function mibQuantity(mib: number): string {
  return mib % 1024 === 0 && mib > 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/** Resolved resources as an L1 `ResourceRequirements`. */
export function toResourceRequirements(r: ResolvedResources): k8s.ResourceRequirements {
  const q = (s: string) => k8s.Quantity.fromString(s);
  return {
    requests: {
      cpu: q(formatMillis(r.cpuRequestMillis)),
      memory: q(mibQuantity(r.memoryRequestMiB)),
      ...(r.ephemeralRequestMiB !== undefined
        ? { 'ephemeral-storage': q(mibQuantity(r.ephemeralRequestMiB)) }
        : {}),
    },
    limits: {
      cpu: q(formatMillis(r.cpuLimitMillis)),
      memory: q(mibQuantity(r.memoryLimitMiB)),
      ...(r.ephemeralLimitMiB !== undefined
        ? { 'ephemeral-storage': q(mibQuantity(r.ephemeralLimitMiB)) }
        : {}),
    },
  };
}

/** Shorthand for `{ cpu: {request, limit}, memory: {request, limit} }` props. */
export function resources(
  cpuRequest: Cpu,
  cpuLimit: Cpu,
  memRequest: Size,
  memLimit: Size,
): ContainerResources {
  return { cpu: { request: cpuRequest, limit: cpuLimit }, memory: { request: memRequest, limit: memLimit } };
}
