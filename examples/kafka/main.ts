/** Synthesizes the Kafka example to dist/examples/kafka (or KATA_BLUEPRINTS_OUTDIR). */
import { buildApp } from './app';

buildApp(process.env.KATA_BLUEPRINTS_OUTDIR ?? 'dist/examples/kafka').synth();
