/** README.md documents every rule, with the table generated from the rule metadata. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ALL_RULES, renderRulesMarkdown, RULES_TABLE_END, RULES_TABLE_START } from '../../../lib/check';

const DOC = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

describe('README.md', () => {
  test('lists every rule id', () => {
    const missing = ALL_RULES.filter((r) => !DOC.includes(`| \`${r.id}\` |`)).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  test('the rule table is the generated one (regenerate with `kata-blueprints check --list-rules`)', () => {
    const start = DOC.indexOf(RULES_TABLE_START);
    const end = DOC.indexOf(RULES_TABLE_END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const block = DOC.slice(start + RULES_TABLE_START.length, end).trim();
    expect(block).toBe(renderRulesMarkdown());
  });

  test('every rule has a why with a source and a fix in the table', () => {
    for (const r of ALL_RULES) {
      const row = DOC.split('\n').find((l) => l.startsWith(`| \`${r.id}\` |`))!;
      expect(row).toContain('Sources:');
      expect(row).toContain(r.fix.replace(/\|/g, '\\|'));
    }
  });
});
