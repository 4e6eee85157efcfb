/** Synthesizes the example platform to dist/ (or KATA_BLUEPRINTS_OUTDIR). */
import { buildApp } from './app';

buildApp(process.env.KATA_BLUEPRINTS_OUTDIR ?? 'dist').synth();
