/** Synthesizes the microservice example to dist/examples/microservice (or KATA_BLUEPRINTS_OUTDIR). */
import { buildApp } from './app';

buildApp(process.env.KATA_BLUEPRINTS_OUTDIR ?? 'dist/examples/microservice').synth();
