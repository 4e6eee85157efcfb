/** KataVaultCluster: highly available HashiCorp Vault in Kata VMs, TLS everywhere. */
export * from './config';
export * from './storage';
export * from './tls';
export * from './seal';
export * from './cluster';
