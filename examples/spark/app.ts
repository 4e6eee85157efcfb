/** Spark jobs in Kata VMs: a one-off batch job, a nightly ETL with dynamic allocation, and the operator variant. */
import { App, Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { KataRuntimeClasses } from '../../lib/cluster';
import { KataRuntime } from '../../lib/sandbox';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataSparkJob, SparkSubmission } from '../../blueprints/workloads/spark';

/** Builds the Spark example app. */
export function buildApp(outdir = 'dist/examples/spark'): App {
  const app = new App({ outdir });
  // The RuntimeClass the jobs use, so the example applies on its own.
  const cluster = new Chart(app, 'cluster', { disableResourceNameHashes: true });
  new KataRuntimeClasses(cluster, 'runtime-classes', { runtimes: [KataRuntime.QEMU] });
  const chart = new Chart(app, 'spark', { namespace: 'analytics', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'analytics');

  new KataSparkJob(chart, 'spark-pi', {
    mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.12-3.5.5.jar',
    mainClass: 'org.apache.spark.examples.SparkPi',
    args: ['1000'],
    executors: 3,
  });

  new KataSparkJob(chart, 'nightly-etl', {
    mainApplicationFile: 's3a://analytics-jobs/etl/nightly.py',
    schedule: '0 2 * * *',
    driver: { cores: 1, memory: Size.gibibytes(2) },
    executor: {
      cores: 2,
      coreLimit: Cpu.millis(2500),
      memory: Size.gibibytes(6),
      memoryLimit: Size.gibibytes(9),
    },
    dynamicAllocation: { minExecutors: 2, maxExecutors: 12, shuffleTrackingTimeout: Duration.minutes(30) },
    conf: {
      sqlShufflePartitions: 96,
      eventLogDir: 's3a://analytics-logs/spark-events',
      kryoSerializer: true,
    },
    egress: [{ peer: NetworkPeer.anywhere(), ports: [{ port: 443 }] }],
  });

  new KataSparkJob(chart, 'pi-operator', {
    mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples_2.12-3.5.5.jar',
    mainClass: 'org.apache.spark.examples.SparkPi',
    submission: SparkSubmission.OPERATOR,
    executors: 2,
  });
  return app;
}
