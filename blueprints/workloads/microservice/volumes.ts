/** Files mounted into a service: Secrets, ConfigMaps and scratch space. */
import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { propError } from '../../../lib/k8s/errors';
import { sizeToQuantity } from '../../../lib/k8s/units';

/** Options of {@link ServiceVolume.secret} and {@link ServiceVolume.configMap}. */
export interface ProjectedFileOptions {
  /**
   * Only these keys, each mapped to a relative file path (`items`). Under Kata use this rather than
   * `subPath`, which Kata does not support.
   * @default - every key, as a file named after the key
   */
  readonly items?: Readonly<Record<string, string>>;
  /**
   * File mode of the projected files.
   * @default 0o440 for Secrets, 0o444 for ConfigMaps
   */
  readonly defaultMode?: number;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A volume mounted into the service container. */
export class ServiceVolume {
  /** A Secret mounted read-only as files (preferred over env vars for credentials). */
  public static secret(
    secretName: string,
    mountPath: string,
    options: ProjectedFileOptions = {},
  ): ServiceVolume {
    const ctx = 'ServiceVolume.secret';
    checkName(ctx, 'secretName', secretName);
    const defaultMode = checkMode(ctx, options.defaultMode ?? 0o440);
    const keys = options.items ? items(ctx, options.items) : undefined;
    return new ServiceVolume(`secret-${secretName}`, checkPath(ctx, mountPath), true, () => ({
      secret: { secretName, defaultMode, ...(keys ? { items: keys.map((k) => ({ ...k })) } : {}) },
    }));
  }

  /** A ConfigMap mounted read-only as files. */
  public static configMap(
    configMapName: string,
    mountPath: string,
    options: ProjectedFileOptions = {},
  ): ServiceVolume {
    const ctx = 'ServiceVolume.configMap';
    checkName(ctx, 'configMapName', configMapName);
    const defaultMode = checkMode(ctx, options.defaultMode ?? 0o444);
    const keys = options.items ? items(ctx, options.items) : undefined;
    return new ServiceVolume(`config-${configMapName}`, checkPath(ctx, mountPath), true, () => ({
      configMap: {
        name: configMapName,
        defaultMode,
        ...(keys ? { items: keys.map((k) => ({ ...k })) } : {}),
      },
    }));
  }

  /**
   * Writable scratch space (`emptyDir` with a size limit). Under Kata the default medium is shared
   * from the host into the VM; it counts against the pod's ephemeral storage.
   */
  public static emptyDir(mountPath: string, sizeLimit: Size, name?: string): ServiceVolume {
    const ctx = 'ServiceVolume.emptyDir';
    const path = checkPath(ctx, mountPath);
    const limit = sizeToQuantity(ctx, 'sizeLimit', sizeLimit);
    const volName = name ?? `scratch${path.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.replace(/-+$/, '');
    return new ServiceVolume(volName, path, false, () => ({
      emptyDir: { sizeLimit: k8s.Quantity.fromString(limit) },
    }));
  }

  private constructor(
    /** Volume name (before truncation to 63 characters). */
    public readonly name: string,
    /** Where it is mounted. */
    public readonly mountPath: string,
    /** Mounted read-only. */
    public readonly readOnly: boolean,
    private readonly source: () => Omit<k8s.Volume, 'name'>,
  ) {}

  /** The L1 volume under `name`. */
  public toVolume(name: string): k8s.Volume {
    return { name, ...this.source() };
  }
}

function checkName(ctx: string, prop: string, name: unknown): void {
  if (typeof name !== 'string' || !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    throw propError(ctx, prop, name, 'an object name (DNS-1123 subdomain)');
  }
}

function checkPath(ctx: string, path: unknown): string {
  if (
    typeof path !== 'string' ||
    !path.startsWith('/') ||
    path.includes(':') ||
    path.split('/').includes('..')
  ) {
    throw propError(ctx, 'mountPath', path, 'an absolute path without ":" or ".."');
  }
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function checkMode(ctx: string, mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
    throw propError(ctx, 'defaultMode', mode, 'a file mode from 0 to 0o777');
  return mode;
}

function items(ctx: string, rec: Readonly<Record<string, string>>): k8s.KeyToPath[] {
  const keys = Object.keys(rec).sort();
  if (keys.length === 0) throw propError(ctx, 'items', rec, 'at least one key, or no items for every key');
  return keys.map((key) => {
    const path = rec[key];
    if (typeof path !== 'string' || path.startsWith('/') || path.split('/').includes('..') || path === '') {
      throw propError(ctx, `items["${key}"]`, path, 'a relative file path without ".."');
    }
    return { key, path };
  });
}
