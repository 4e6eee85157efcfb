/** Where the shared test corpora live: `../shared/corpus` next to the repository, else /work/shared/corpus. */
import { existsSync } from 'fs';
import { resolve } from 'path';

/** The corpus root directory. */
export function corpusDir(): string {
  const sibling = resolve(__dirname, '../../../../shared/corpus');
  return existsSync(sibling) ? sibling : '/work/shared/corpus';
}
