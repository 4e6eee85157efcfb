/**
 * EKS managed node group user data for AL2023: a MIME multi-part archive that EKS merges with its own
 * nodeadm NodeConfig (EKS user guide "Customizing managed nodes with launch templates": Amazon Linux
 * user data must be MIME multi-part; nodeadm parts use `application/node.eks.aws`).
 */
import { stringify } from 'yaml';
import { propError } from '../../../lib/sandbox';

/** One part of a MIME multi-part user data archive. */
export interface MimePart {
  /** The part's `Content-Type`, e.g. `text/x-shellscript; charset="us-ascii"`. */
  readonly contentType: string;
  /** The part's body. */
  readonly content: string;
}

/** The boundary between parts. */
export const MIME_BOUNDARY = '//KATA-BLUEPRINTS-BOUNDARY//';

/**
 * Assembles a MIME multi-part archive (`multipart/mixed`).
 *
 * @throws PropError when there is no part or a part contains the boundary
 */
export function renderMimeMultipart(parts: readonly MimePart[]): string {
  if (parts.length === 0) throw propError('user data', 'parts', parts, 'at least one MIME part');
  const out = ['MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`, ''];
  for (const p of parts) {
    if (p.content.includes(`--${MIME_BOUNDARY}`)) {
      throw propError(
        'user data',
        'part content',
        p.contentType,
        `content without the boundary "--${MIME_BOUNDARY}"`,
      );
    }
    out.push(
      `--${MIME_BOUNDARY}`,
      `Content-Type: ${p.contentType}`,
      '',
      p.content.endsWith('\n') ? p.content.slice(0, -1) : p.content,
    );
  }
  out.push(`--${MIME_BOUNDARY}--`, '');
  return out.join('\n');
}

/** A shell script part (run by cloud-init before nodeadm starts the kubelet). */
export function shellScriptPart(script: string): MimePart {
  return { contentType: 'text/x-shellscript; charset="us-ascii"', content: script };
}

/**
 * A nodeadm `NodeConfig` part carrying extra settings that EKS merges into the node's configuration
 * (e.g. `{ kubelet: { config: { maxPods: 200 } } }`).
 *
 * @param spec the NodeConfig `spec`
 */
export function nodeConfigPart(spec: Readonly<Record<string, unknown>>): MimePart {
  const doc = { apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec };
  return { contentType: 'application/node.eks.aws', content: `---\n${stringify(doc, { lineWidth: 0 })}` };
}
