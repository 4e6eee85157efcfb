/** Objects from a cdk8s App or Chart, in memory (no files written), ready for `checkManifests`. */
import { App, Chart } from 'cdk8s';
import type { KubeObject } from '../manifest/load';
import type { SourcedObject } from './context';

/**
 * The objects a Chart synthesizes (`chart.toJson()`, which also runs the construct validations),
 * labelled `chart:<construct path>` with their index as document index.
 */
export function manifestsFromChart(chart: Chart): SourcedObject[] {
  const file = `chart:${chart.node.path}`;
  return (chart.toJson() as KubeObject[]).map((object, documentIndex) => ({ object, file, documentIndex }));
}

/** The objects of every Chart of an App, chart by chart (the order `app.synth()` writes them). */
export function manifestsFromApp(app: App): SourcedObject[] {
  return app.charts.flatMap((c) => manifestsFromChart(c));
}
