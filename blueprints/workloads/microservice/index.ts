/** KataMicroservice: stateless API services in Kata VMs, trusted and untrusted side by side. */
export {
  KataMicroservice,
  KATA_MIN_MEMORY_LIMIT_MIB,
  MICROSERVICE_DEFAULT_RESOURCES,
  MICROSERVICE_DEFAULT_UID,
} from './microservice';
export type { AutoscalingOptions, KataMicroserviceProps } from './microservice';
export { AppProtocol, ISTIO_PROXY_UID, ISTIO_RESERVED_PORTS } from './ports';
export type { ServicePortSpec } from './ports';
export { ProbeRole, ServiceProbe } from './probe';
export type { HttpProbeOptions, ProbePortRef, ServiceProbeOptions } from './probe';
export { Expose, ExposeKind } from './expose';
export type { IngressOptions, LoadBalancerOptions } from './expose';
export {
  ServiceMesh,
  ISTIO_INJECT_LABEL,
  ISTIO_NATIVE_SIDECAR_ANNOTATION,
  ISTIO_PROXY_CONFIG_ANNOTATION,
} from './mesh';
export type { IstioProxyResources, IstioSidecarOptions } from './mesh';
export { Drain, DrainMethod } from './drain';
export { EnvFrom, EnvRef } from './env';
export type { EnvRefOptions } from './env';
export { ServiceVolume } from './volumes';
export type { ProjectedFileOptions } from './volumes';
