import { labelSelectorMatches } from '../../../lib/manifest/selector';

describe('labelSelectorMatches', () => {
  const labels = { app: 'api', tier: 'web' };
  test.each([
    [{}, true],
    [{ matchLabels: { app: 'api' } }, true],
    [{ matchLabels: { app: 'db' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'edge'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, false],
  ])('%j -> %s', (selector, expected) => {
    expect(labelSelectorMatches(selector, labels)).toBe(expected);
  });
});
