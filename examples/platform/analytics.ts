/**
 * The platform's analytics namespace: a Spark Structured Streaming job that reads the platform's
 * Kafka, a nightly Spark batch job, and a Flink job that sessionizes the same stream. Drivers,
 * executors, JobManagers and TaskManagers all run in Kata VMs: analysts' code, not the platform team's.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';
import { KataFlinkJob, KataSparkJob } from '../../blueprints/workloads/spark';
import type { IKafkaEndpoint } from '../../blueprints/workloads/kafka/endpoint';

/** The jobs of the analytics namespace. */
export interface Analytics {
  /** Streaming job reading Kafka. */
  readonly clickstream: KataSparkJob;
  /** Nightly batch job. */
  readonly nightly: KataSparkJob;
  /** Flink sessionization job. */
  readonly sessions: KataFlinkJob;
}

/** Adds the `analytics` chart. */
export function addAnalytics(app: App, deps: { readonly kafka: IKafkaEndpoint }): Analytics {
  const chart = new Chart(app, 'analytics', { namespace: 'analytics', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'analytics');
  // Object storage (S3 over HTTPS) for event logs, checkpoints and outputs.
  const objectStorage = { peer: NetworkPeer.anywhere(), ports: [{ port: 443 }] };

  const clickstream = new KataSparkJob(chart, 'clickstream', {
    mainApplicationFile: 's3a://platform-analytics/jobs/clickstream.py',
    kafka: deps.kafka,
    driver: { cores: 1, memory: Size.gibibytes(2) },
    executor: { cores: 2, memory: Size.gibibytes(4) },
    executors: 3,
    conf: { sqlShufflePartitions: 24, eventLogDir: 's3a://platform-analytics/spark-events' },
    sparkConf: {
      'spark.sql.streaming.checkpointLocation': 's3a://platform-analytics/checkpoints/clickstream',
    },
    egress: [objectStorage],
    backoffLimit: 3,
  });

  const nightly = new KataSparkJob(chart, 'nightly-rollup', {
    mainApplicationFile: 's3a://platform-analytics/jobs/rollup.jar',
    mainClass: 'com.example.analytics.NightlyRollup',
    schedule: '30 1 * * *',
    // runtime-rs sizes the VM statically from the limits: no hot-plug on large executors.
    sandbox: Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS),
    executor: {
      cores: 4,
      coreLimit: Cpu.units(4),
      memory: Size.gibibytes(12),
      memoryLimit: Size.gibibytes(14),
    },
    dynamicAllocation: { minExecutors: 2, maxExecutors: 20, shuffleTrackingTimeout: Duration.minutes(30) },
    conf: {
      adaptiveQueryExecution: true,
      kryoSerializer: true,
      eventLogDir: 's3a://platform-analytics/spark-events',
    },
    egress: [objectStorage],
  });

  const sessions = new KataFlinkJob(chart, 'sessions', {
    jarURI: 'local:///opt/flink/usrlib/sessions.jar',
    entryClass: 'com.example.analytics.Sessions',
    parallelism: 6,
    taskSlots: 2,
    taskManager: { cpu: Cpu.units(2), memory: Size.gibibytes(4) },
    storageDir: 's3://platform-analytics/flink/sessions',
    kafka: deps.kafka,
    egress: [objectStorage],
  });
  return { clickstream, nightly, sessions };
}
