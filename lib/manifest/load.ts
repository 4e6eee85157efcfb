/**
 * Loads Kubernetes objects from YAML or JSON files and folders (multi-document), keeping where each
 * object came from (file, document index, start line). Input that cannot be used — a missing path,
 * YAML that does not parse, a document that is not a Kubernetes object, an unrendered `${VAR}`
 * template, a file that is not YAML or JSON — is collected as a {@link ManifestInputError} with the
 * file and line; loading never throws for bad input.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { basename, join } from 'path';
import { Document, isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';

/** A Kubernetes object as plain JSON: `apiVersion`, `kind`, `metadata` and the rest. */
export interface KubeObject {
  /** API version, e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** Kind, e.g. `Deployment`. */
  readonly kind: string;
  /** Object metadata. */
  readonly metadata?: KubeMetadata;
  /** Every other field (`spec`, `data`, ...). */
  readonly [field: string]: unknown;
}

/** The metadata fields the checks read. */
export interface KubeMetadata {
  /** Name. */
  readonly name?: string;
  /** Namespace. */
  readonly namespace?: string;
  /** Labels. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Every other metadata field. */
  readonly [field: string]: unknown;
}

/** Where an object was read from. */
export interface ManifestSource {
  /** The file path as given (or found in a folder), or a label such as `chart:apps` for in-memory objects. */
  readonly file: string;
  /** 0-based index of the YAML document in the file. */
  readonly documentIndex: number;
  /** 1-based line where the document's content starts. */
  readonly line: number;
}

/** A Kubernetes object with its {@link ManifestSource}. */
export interface LoadedManifest extends ManifestSource {
  /** The object. */
  readonly object: KubeObject;
}

/** Why an input could not be used. */
export enum InputErrorReason {
  /** The path does not exist or cannot be read. */
  NOT_FOUND = 'not-found',
  /** The file is not YAML or JSON (by its name). */
  NOT_MANIFEST_FILE = 'not-manifest-file',
  /** The YAML/JSON does not parse. */
  PARSE = 'parse',
  /** A document is not a Kubernetes object (no `apiVersion`/`kind`). */
  NOT_KUBERNETES = 'not-kubernetes',
  /** The file is a template with unrendered `${VAR}` placeholders. */
  PLACEHOLDER = 'placeholder',
}

/** An input that could not be used: the file, the line (when known), and what is wrong with it. */
export interface ManifestInputError {
  /** File (or path) concerned. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** 0-based document index, when the problem is in one document. */
  readonly documentIndex?: number;
  /** Category. */
  readonly reason: InputErrorReason;
  /** Human-readable description (without the file name). */
  readonly message: string;
}

/** The result of loading: the objects found and the inputs that could not be used. */
export interface LoadResult {
  /** Objects in input order (paths in the order given, folder entries sorted, documents in file order). */
  readonly manifests: LoadedManifest[];
  /** Unusable inputs, in the same order. */
  readonly errors: ManifestInputError[];
}

/** File name endings read as manifests when a folder is walked (`.in` templates are read too, to report placeholders). */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json', '.yaml.in', '.yml.in', '.json.in'] as const;

/** A whole scalar that is a template variable: `${name}` (any case) or `$NAME` (envsubst style, upper case). */
const PLACEHOLDER_WHOLE = /^\s*(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Z_][A-Z0-9_]*)\s*$/;
const PLACEHOLDER_ANY = /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Z_][A-Z0-9_]*\b/;

/** Formats an input error as `file:line:column: message`. */
export function formatInputError(e: ManifestInputError): string {
  const loc = e.line !== undefined ? `:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : '';
  return `${e.file}${loc}: ${e.message}`;
}

/**
 * Loads every object from files and folders. Folders are walked recursively in sorted order; hidden
 * entries (`.name`) are skipped; files without a manifest extension are reported as
 * {@link InputErrorReason.NOT_MANIFEST_FILE}. A file given explicitly is parsed whatever its name.
 */
export function loadManifests(paths: readonly string[]): LoadResult {
  const manifests: LoadedManifest[] = [];
  const errors: ManifestInputError[] = [];
  const add = (r: LoadResult): void => {
    for (const m of r.manifests) manifests.push(m);
    for (const e of r.errors) errors.push(e);
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      errors.push({ file: p, reason: InputErrorReason.NOT_FOUND, message: `cannot read: ${errnoText(e)}` });
      continue;
    }
    if (isDir) {
      for (const f of walk(p, errors)) {
        if (isManifestFileName(f)) add(loadFile(f));
        else {
          errors.push({
            file: f,
            reason: InputErrorReason.NOT_MANIFEST_FILE,
            message: `not a YAML or JSON manifest (expected a name ending in ${MANIFEST_EXTENSIONS.join(', ')})`,
          });
        }
      }
    } else {
      add(loadFile(p));
    }
  }
  return { manifests, errors };
}

/** Loads one file (any name). */
export function loadFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return {
      manifests: [],
      errors: [{ file, reason: InputErrorReason.NOT_FOUND, message: `cannot read: ${errnoText(e)}` }],
    };
  }
  return parseManifests(text, file);
}

/**
 * Parses YAML/JSON text (one or more documents). Empty documents are skipped (their index still counts);
 * a `kind: List` (e.g. `kubectl get -o yaml`) is expanded into its items.
 *
 * @param text the file content
 * @param file the name to report
 */
export function parseManifests(text: string, file: string): LoadResult {
  const manifests: LoadedManifest[] = [];
  const errors: ManifestInputError[] = [];
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\u0000')) {
    return {
      manifests,
      errors: [
        {
          file,
          reason: InputErrorReason.NOT_MANIFEST_FILE,
          message: 'binary file, not a YAML or JSON manifest',
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false }) as Document.Parsed[];
  } catch (e) {
    return {
      manifests,
      errors: [
        { file, reason: InputErrorReason.PARSE, message: `YAML does not parse: ${(e as Error).message}` },
      ],
    };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  const lineOf = (offset: number | undefined): number =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;

  docs.forEach((doc, documentIndex) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = lineCounter.linePos(err.pos[0]);
      errors.push({
        file,
        line: pos.line,
        column: pos.col,
        documentIndex,
        reason: InputErrorReason.PARSE,
        message: `YAML does not parse: ${firstLine(err.message)}`,
      });
      return;
    }
    const contents = doc.contents;
    if (contents === null || contents === undefined) return;
    const line = lineOf(contents.range?.[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      errors.push({
        file,
        line,
        documentIndex,
        reason: InputErrorReason.PARSE,
        message: `YAML does not parse: ${firstLine((e as Error).message)}`,
      });
      return;
    }
    if (value === null || value === undefined) return;
    const placeholder = findPlaceholder(value);
    if (placeholder) {
      errors.push({
        file,
        line,
        documentIndex,
        reason: InputErrorReason.PLACEHOLDER,
        message: `unrendered template placeholder ${placeholder.value} at ${placeholder.path}: render the template before checking it`,
      });
      return;
    }
    const notKube = whyNotKubernetes(value);
    if (notKube) {
      errors.push({
        file,
        line,
        documentIndex,
        reason: InputErrorReason.NOT_KUBERNETES,
        message: `not a Kubernetes object: ${notKube}`,
      });
      return;
    }
    const obj = value as KubeObject;
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      const itemNodes = isMap(contents) ? contents.get('items', true) : undefined;
      (obj.items as unknown[]).forEach((item, i) => {
        const node = isSeq(itemNodes)
          ? (itemNodes.items[i] as { range?: [number, number, number] } | undefined)
          : undefined;
        const itemLine = lineOf(node?.range?.[0] ?? contents.range?.[0]);
        const why = whyNotKubernetes(item);
        if (why) {
          errors.push({
            file,
            line: itemLine,
            documentIndex,
            reason: InputErrorReason.NOT_KUBERNETES,
            message: `List item ${i} is not a Kubernetes object: ${why}`,
          });
        } else {
          manifests.push({ object: item as KubeObject, file, documentIndex, line: itemLine });
        }
      });
      return;
    }
    manifests.push({ object: obj, file, documentIndex, line });
  });
  return { manifests, errors };
}

/** Whether a file name has one of the {@link MANIFEST_EXTENSIONS}. */
export function isManifestFileName(file: string): boolean {
  const name = basename(file).toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/**
 * Finds an unrendered template placeholder: a scalar (or key) that is exactly `${name}` or `$NAME`, or
 * a placeholder anywhere in an identifying field (`metadata.name`, `metadata.namespace`, labels,
 * `image`, `runtimeClassName`). Shell scripts in `command`/`args` that use `${var}` are not placeholders.
 *
 * @returns the first placeholder and its JSON path, or undefined
 */
export function findPlaceholder(
  value: unknown,
): { readonly path: string; readonly value: string } | undefined {
  const identifying = new Set(['name', 'namespace', 'image', 'runtimeClassName', 'serviceAccountName']);
  const visit = (
    v: unknown,
    path: string,
    key: string | undefined,
    inLabels: boolean,
  ): { path: string; value: string } | undefined => {
    if (typeof v === 'string') {
      if (PLACEHOLDER_WHOLE.test(v)) return { path, value: v.trim() };
      if ((inLabels || (key !== undefined && identifying.has(key))) && PLACEHOLDER_ANY.test(v)) {
        return { path, value: PLACEHOLDER_ANY.exec(v)![0] };
      }
      return undefined;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const r = visit(v[i], `${path}[${i}]`, key, false);
        if (r) return r;
      }
      return undefined;
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const childPath = path ? `${path}.${k}` : k;
        if (PLACEHOLDER_WHOLE.test(k)) return { path: childPath, value: k.trim() };
        const r = visit(child, childPath, k, k === 'labels' || k === 'matchLabels' || k === 'selector');
        if (r) return r;
      }
    }
    return undefined;
  };
  return visit(value, '', undefined, false);
}

/** Why a parsed value is not a Kubernetes object, or undefined when it is one. */
function whyNotKubernetes(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `the document is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a mapping with apiVersion and kind`;
  }
  const v = value as Record<string, unknown>;
  const missing = ['apiVersion', 'kind'].filter(
    (k) => typeof v[k] !== 'string' || (v[k] as string).length === 0,
  );
  if (missing.length > 0) return `missing ${missing.join(' and ')}`;
  if (
    v.metadata !== undefined &&
    (v.metadata === null || typeof v.metadata !== 'object' || Array.isArray(v.metadata))
  ) {
    return 'metadata is not a mapping';
  }
  return undefined;
}

function walk(dir: string, errors: ManifestInputError[]): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    errors.push({
      file: dir,
      reason: InputErrorReason.NOT_FOUND,
      message: `cannot read folder: ${errnoText(e)}`,
    });
    return out;
  }
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      errors.push({ file: p, reason: InputErrorReason.NOT_FOUND, message: `cannot read: ${errnoText(e)}` });
      continue;
    }
    if (isDir) out.push(...walk(p, errors));
    else out.push(p);
  }
  return out;
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file or directory';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  return err.message ?? String(e);
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
