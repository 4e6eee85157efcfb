/** Synthesizes the Vault example to dist/examples/vault (or KATA_BLUEPRINTS_OUTDIR). */
import { buildApp } from './app';

buildApp(process.env.KATA_BLUEPRINTS_OUTDIR ?? 'dist/examples/vault').synth();
