/** Spark and Flink jobs whose driver, executors and task managers run in Kata VMs. */
export * from './conf';
export * from './spark-job';
export * from './flink-job';
