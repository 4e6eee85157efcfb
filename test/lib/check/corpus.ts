/**
 * The test corpora written outside this project, kept in test/fixtures/corpus (see its README.md for
 * sources, commits and license), so the tests need nothing beside the repository.
 */
import { resolve } from 'path';

/** The corpus root directory. */
export function corpusDir(): string {
  return resolve(__dirname, '../../fixtures/corpus');
}
