/** Recommended Kubernetes labels (`app.kubernetes.io/*`) and DNS-safe names. */
import { propError } from './errors';

/** Label key of the managing tool. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';

/** The labels of one component of an application instance. */
export interface ComponentLabels {
  /** Selector labels: stable across upgrades (name, instance, component). */
  readonly selector: Record<string, string>;
  /** All labels: selector labels plus part-of, version and managed-by. */
  readonly all: Record<string, string>;
}

/**
 * Labels for one component of an app instance.
 *
 * @param app application name, e.g. `vault`
 * @param instance instance name, e.g. `vault` or `payments-api`
 * @param component component, e.g. `server`, `broker`, `controller`
 * @param version application version (from the image tag), added to `all` only
 */
export function componentLabels(
  app: string,
  instance: string,
  component: string,
  version?: string,
): ComponentLabels {
  const selector = {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
  };
  const all: Record<string, string> = {
    ...selector,
    'app.kubernetes.io/part-of': instance,
    [MANAGED_BY]: 'kata-blueprints',
  };
  if (version && /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(version))
    all['app.kubernetes.io/version'] = version;
  return { selector, all };
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks a name used for Services and StatefulSets (DNS-1035 label, at most `maxLength` characters so
 * that suffixes such as `-internal` or `-0` still fit in 63).
 */
export function validateDnsName(context: string, prop: string, name: string, maxLength = 63): string {
  if (typeof name !== 'string' || !DNS1035.test(name) || name.length > maxLength) {
    throw propError(
      context,
      prop,
      name,
      `a DNS-1035 label of at most ${maxLength} characters: lower case letters, digits and "-", starting with a letter`,
    );
  }
  return name;
}

/** The default resource name for a construct id: lower-cased, non-alphanumerics to "-". */
export function defaultName(id: string): string {
  const n = id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  return n || 'app';
}

/** The image tag (or the first 12 hex digits of the digest), used as `app.kubernetes.io/version`. */
export function imageVersion(image: string): string | undefined {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon > slash) return noDigest.slice(colon + 1);
  if (at >= 0)
    return image
      .slice(at + 1)
      .replace('sha256:', '')
      .slice(0, 12);
  return undefined;
}
