/**
 * Maps a path inside a parsed YAML document (as zod reports it: `['models', 3, 'status']`) to the
 * line it is written on, so validation errors can point at the line to fix.
 */
import { type Document, isCollection, isMap, isNode, isPair, isScalar, type LineCounter } from 'yaml';

export type DataPath = readonly PropertyKey[];

/**
 * 1-based line of the node at `path`. When the node does not exist (a missing field), the line of
 * the nearest ancestor that does. With `key`, the line of that key inside the map at `path` (for
 * unknown fields). Undefined only if nothing on the path has a position.
 */
export function lineOfPath(
  doc: Document,
  lineCounter: LineCounter,
  path: DataPath,
  key?: string,
): number | undefined {
  let node: unknown = doc.contents;
  let line = lineOf(node, lineCounter);
  for (const segment of [...path, ...(key === undefined ? [] : [key])]) {
    const child = childNode(node, segment, segment === key);
    if (child === undefined) break;
    node = child;
    line = lineOf(child, lineCounter) ?? line;
  }
  return line;
}

function childNode(node: unknown, segment: PropertyKey, wantKey: boolean): unknown {
  if (!isCollection(node) || typeof segment === 'symbol') return undefined;
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && scalarKey(item.key) === String(segment));
    if (pair === undefined) return undefined;
    return wantKey || pair.value === null ? pair.key : pair.value;
  }
  return node.get(Number(segment), true);
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function lineOf(node: unknown, lineCounter: LineCounter): number | undefined {
  if (!isNode(node) || !node.range) return undefined;
  return lineCounter.linePos(node.range[0]).line;
}
