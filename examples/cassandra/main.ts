/** Synthesizes the Cassandra/ScyllaDB example to dist/examples/cassandra (or KATA_BLUEPRINTS_OUTDIR). */
import { buildApp } from './app';

buildApp(process.env.KATA_BLUEPRINTS_OUTDIR ?? 'dist/examples/cassandra').synth();
