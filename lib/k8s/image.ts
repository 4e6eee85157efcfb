/** Container image references: pinned tags or digests only. */
import { propError } from './errors';

const IMAGE_REF =
  /^(?:(?<registry>[a-zA-Z0-9.-]+(?::\d+)?)\/)?(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** A parsed image reference. */
export interface ImageRef {
  /** Registry host (and port), if given. */
  readonly registry?: string;
  /** Repository path. */
  readonly repository: string;
  /** Tag, if given. */
  readonly tag?: string;
  /** Digest (`sha256:...`), if given. */
  readonly digest?: string;
}

/** Parses an image reference; undefined when it is not one. */
export function parseImage(image: string): ImageRef | undefined {
  if (typeof image !== 'string') return undefined;
  const m = IMAGE_REF.exec(image);
  if (!m || !m.groups) return undefined;
  // "host:5000/repo" without a tag: the regexp would read "5000/repo" as part of the path only when a registry is present.
  return {
    registry: m.groups.registry,
    repository: m.groups.path,
    tag: m.groups.tag,
    digest: m.groups.digest,
  };
}

/**
 * Checks that an image is pinned: a tag other than `latest`, or a digest.
 *
 * @returns the image unchanged
 * @throws PropError naming the prop for untagged, `latest` or malformed references
 */
export function validateImage(context: string, prop: string, image: string): string {
  const ref = parseImage(image);
  if (!ref)
    throw propError(
      context,
      prop,
      image,
      'an image reference such as "registry/repo:1.2.3" or "repo@sha256:<64 hex>"',
    );
  if (!ref.tag && !ref.digest)
    throw propError(context, prop, image, 'a pinned image: a tag other than "latest" or a sha256 digest');
  if (ref.tag === 'latest' && !ref.digest) {
    throw propError(
      context,
      prop,
      image,
      'a pinned image: "latest" moves; use a version tag or a sha256 digest',
    );
  }
  return image;
}
