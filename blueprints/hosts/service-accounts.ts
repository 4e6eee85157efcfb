/**
 * The Kubernetes service accounts the environments bind cloud identities to, their defaults (the names
 * the workload blueprints give them), and the checks of the lists.
 */
import { propError } from '../../lib/sandbox';
import { ServiceAccountRef, checkServiceAccount } from './validate';

/** Vault's service account: a `KataVaultCluster` named "vault" in namespace "vault". */
export const DEFAULT_VAULT_SERVICE_ACCOUNT: ServiceAccountRef = { namespace: 'vault', name: 'vault' };

/**
 * Druid's service accounts: a `KataDruidCluster` named "druid" in namespace "druid" runs its data nodes
 * (historicals, indexers, brokers, routers) as `druid-druid` and its masters (coordinators, overlords)
 * as `druid-druid-master`; historicals, indexers and the overlord all use deep storage.
 */
export const DEFAULT_DRUID_SERVICE_ACCOUNTS: readonly ServiceAccountRef[] = [
  { namespace: 'druid', name: 'druid-druid' },
  { namespace: 'druid', name: 'druid-druid-master' },
];

/**
 * Checks a list of service accounts: each a valid reference, none listed twice.
 *
 * @throws PropError naming `prop[i]` and the entry when it is invalid or repeats an earlier one, or naming
 *   `prop` when the value is not a list
 */
export function checkServiceAccounts(
  context: string,
  prop: string,
  value: readonly ServiceAccountRef[],
): readonly ServiceAccountRef[] {
  if (!Array.isArray(value)) throw propError(context, prop, value, 'a list of { namespace, name }');
  const seen = new Map<string, number>();
  return value.map((sa, i) => {
    checkServiceAccount(context, `${prop}[${i}]`, sa);
    const key = serviceAccountKey(sa);
    const first = seen.get(key);
    if (first !== undefined) {
      throw propError(
        context,
        `${prop}[${i}]`,
        sa,
        `a service account listed once (${prop}[${first}] is the same account)`,
      );
    }
    seen.set(key, i);
    return sa;
  });
}

/** A service account list and the prop it came from, for {@link refuseSharedServiceAccounts}. */
export interface ServiceAccountBinding {
  /** The prop, e.g. `druidServiceAccounts` (entries are reported as `prop[i]`, or `prop` for one). */
  readonly prop: string;
  /** Its service accounts. */
  readonly serviceAccounts: readonly ServiceAccountRef[];
  /** True when the prop holds a single service account rather than a list. */
  readonly single?: boolean;
}

/**
 * Refuses a service account bound to two purposes, where the platform can give one account one identity
 * only (an EKS Pod Identity association per account; one `azure.workload.identity/client-id` annotation).
 *
 * @param why the reason, completing "a service account bound to one purpose only (...)"
 * @throws PropError naming the later entry and the earlier prop that already binds the account
 */
export function refuseSharedServiceAccounts(
  context: string,
  bindings: readonly ServiceAccountBinding[],
  why: string,
): void {
  const owner = new Map<string, string>();
  for (const b of bindings) {
    b.serviceAccounts.forEach((sa, i) => {
      const at = b.single ? b.prop : `${b.prop}[${i}]`;
      const key = serviceAccountKey(sa);
      const earlier = owner.get(key);
      if (earlier !== undefined) {
        throw propError(
          context,
          at,
          sa,
          `a service account bound to one purpose only (${earlier} binds it already; ${why})`,
        );
      }
      owner.set(key, at);
    });
  }
}

/**
 * A stable, unique resource-name part for a service account: `<namespace>_<name>` with the name's dots
 * as `_`. Namespaces have neither `.` nor `_` and names no `_`, so two accounts never share a key; the
 * result only has characters every cloud accepts in names (letters, digits, `-`, `_`).
 */
export function serviceAccountKey(sa: ServiceAccountRef): string {
  return `${sa.namespace}_${sa.name.replace(/\./g, '_')}`;
}
