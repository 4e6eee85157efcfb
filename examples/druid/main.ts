import { buildApp } from './app';

buildApp(process.env.KATA_BLUEPRINTS_OUTDIR ?? 'dist/examples/druid').synth();
