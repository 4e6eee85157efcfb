/** Schema rules: OpenAPI validation, unknown fields found through the validator's own reads, custom resources. */
import { checkManifests, validateSchema } from '../../../lib/check';
import { validatorFor } from '../../../lib/check/rules/schema';
import { RuleFamily, Severity } from '../../../lib/check/types';
import type { KubeObject } from '../../../lib/manifest/load';
import { asObjects, compliantApp, container, find, Obj } from './fixtures';

const deployment = (): KubeObject => find(compliantApp(), 'Deployment');

describe('validateSchema', () => {
  test('a valid object has no errors and no unknown fields', () => {
    expect(validateSchema(deployment())).toEqual({ known: true, errors: [], unknownFields: [] });
  });

  test('type errors and missing required fields name the path', () => {
    const d: Obj = deployment();
    d.spec.replicas = 'two';
    delete d.spec.template.spec.containers[0].name;
    const r = validateSchema(d);
    expect(r.errors).toEqual([
      { path: 'spec.replicas', message: 'must be integer' },
      { path: 'spec.template.spec.containers[0]', message: 'required field "name" is missing' },
    ]);
  });

  test('unknown fields at any depth are found; maps (labels, data, resources) are not', () => {
    const o = compliantApp();
    const d = find(o, 'Deployment');
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdat: {} };
    d.metadata.labels = { 'any-key': 'v' };
    d.metadata.labelz = { a: 'b' };
    container(o).resources.limits['nvidia.com/gpu'] = '1';
    container(o).env = [{ name: 'A', value: 'b', valueFrm: {} }];
    const r = validateSchema(d);
    expect(r.errors).toEqual([]);
    expect([...r.unknownFields].sort()).toEqual([
      'metadata.labelz',
      'spec.strategy.rollingUpdat',
      'spec.template.spec.containers[0].env[0].valueFrm',
    ]);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { 'anything.properties': 'x=1' },
    } as KubeObject;
    expect(validateSchema(cm).unknownFields).toEqual([]);
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, default: { any: 1 } },
                },
              },
            },
          },
        ],
      },
    } as KubeObject;
    expect(validateSchema(crd)).toEqual({ known: true, errors: [], unknownFields: [] });
  });

  test('custom resources and unknown kinds have no schema; validators are cached', () => {
    expect(
      validateSchema({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate' } as KubeObject).known,
    ).toBe(false);
    expect(validateSchema({ apiVersion: 'v1', kind: '../../evil' } as KubeObject).known).toBe(false);
    expect(validatorFor('apps/v1', 'Deployment')).toBe(validatorFor('apps/v1', 'Deployment'));
    expect(validatorFor('apps/v1', 'Deployment')).not.toBeNull();
    expect(validatorFor('v1', 'PodSpec')).toBeNull(); // a type, not a kind
  });
});

describe('schema rules in checkManifests', () => {
  const schema = (objs: unknown[]) => checkManifests(objs as KubeObject[], { families: [RuleFamily.SCHEMA] });

  test('in-memory inputs that are not objects are reported, not thrown', () => {
    const f = schema([null, 'x', { kind: 'Pod' }]);
    expect(f.map((x) => x.rule)).toEqual([
      'schema/not-kubernetes',
      'schema/not-kubernetes',
      'schema/not-kubernetes',
    ]);
  });

  test('duplicates are per group, kind, namespace and name', () => {
    const o = compliantApp();
    const copy = JSON.parse(JSON.stringify(find(o, 'Service')));
    expect(schema([...o, { ...copy, metadata: { ...copy.metadata, namespace: 'other' } }])).toEqual([]);
    const dup = schema([...o, copy]);
    expect(dup.map((x) => x.rule)).toEqual(['schema/duplicate-object']);
    expect(dup[0].message).toBe('Service apps/web is also defined at <memory>');
  });

  test('the skipped note is info, unknown fields are errors', () => {
    const o = compliantApp();
    container(o).imagePullPolicyy = 'Always';
    o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'apps' } });
    const f = schema(asObjects(o));
    expect(f.map((x) => [x.rule, x.severity, x.path])).toEqual([
      ['schema/unknown-field', Severity.ERROR, 'spec.template.spec.containers[0].imagePullPolicyy'],
      ['schema/skipped', Severity.INFO, undefined],
    ]);
  });
});
