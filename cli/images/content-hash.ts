import { createHash } from 'node:crypto';

/** One input of a content hash: a name (repository-relative path, or a label) and its bytes. */
export interface HashInput {
  name: string;
  content: string | Uint8Array;
}

/** Length of the hex hash used in image tags. */
export const TAG_HASH_LENGTH = 12;

/**
 * Content hash of a set of named inputs: independent of their order, sensitive to every name and
 * every byte (names and contents are length-prefixed, so moving bytes between inputs changes it).
 * Returns the first {@link TAG_HASH_LENGTH} hex digits of a SHA-256.
 */
export function contentHash(inputs: readonly HashInput[]): string {
  const sorted = [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const h = createHash('sha256');
  for (const { name, content } of sorted) {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    h.update(`${Buffer.byteLength(name)}:${name}:${bytes.byteLength}:`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, TAG_HASH_LENGTH);
}
