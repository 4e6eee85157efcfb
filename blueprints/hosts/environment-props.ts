/** The props every `*KataEnvironment` shares: the manifests it applies and the service accounts it binds. */
import { ServiceAccountRef } from './validate';

/** Props common to `AwsKataEnvironment`, `GcpKataEnvironment` and `AzureKataEnvironment`. */
export interface KataEnvironmentWorkloadProps {
  /**
   * Apply the synthesized manifests (and, where the environment installs it, kata-deploy).
   * @default true
   */
  readonly deployWorkloads?: boolean;
  /**
   * The synthesized manifests.
   * @default "dist"
   */
  readonly manifestsDir?: string;
  /**
   * Vault's service account: bound to the cloud identity that may use the auto-unseal key (EKS Pod
   * Identity association, GKE Workload Identity principal, or an Azure federated identity credential).
   * @default { namespace: "vault", name: "vault" } (a KataVaultCluster named "vault" in namespace "vault")
   */
  readonly vaultServiceAccount?: ServiceAccountRef;
  /**
   * The service accounts that get read/write on the Druid deep storage, each bound to the same cloud
   * identity (one Pod Identity association, Workload Identity IAM member or federated credential per
   * account; Azure allows at most 20). A `KataDruidCluster` named N runs its data nodes as `N-druid` and
   * its coordinators and overlords as `N-druid-master`; historicals, indexers and the overlord all use
   * deep storage, so list both.
   * @default DEFAULT_DRUID_SERVICE_ACCOUNTS: `druid/druid-druid` and `druid/druid-druid-master` (a
   *   KataDruidCluster named "druid" in namespace "druid")
   */
  readonly druidServiceAccounts?: readonly ServiceAccountRef[];
  /**
   * The service accounts that get read/write on the analytics (`spark`) bucket or container, bound the
   * same way: `J-spark` for a `KataSparkJob` named J (driver and executors), `J-flink` for a
   * `KataFlinkJob` named J. With an empty list the identity exists but nothing is bound, so no pod gets
   * the bucket.
   * @default [] (no service account is bound)
   */
  readonly analyticsServiceAccounts?: readonly ServiceAccountRef[];
}
