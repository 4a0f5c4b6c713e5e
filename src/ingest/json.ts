// A streaming reader of JSON API pages: the objects of a top-level array
// ([{...}, {...}]) or of the arrays directly under a top-level object
// ({"markets": [{...}], "cursor": "..."}), one at a time, each with the line it starts
// on and its raw text, without holding the whole document; an object longer than
// MAX_OBJECT_LENGTH is an error record (its first characters kept), not held whole.
//
// Kept instead of a streaming JSON library: it finds each object's bounds and hands the
// text to the native JSON.parse, which is faster than building values token by token —
// @streamparser/json takes about 1.8x as long on a 68 MB page, stream-json about 2.5x
// (bench/parsers.ts, `make bench-parsers`) — and it keeps what the libraries do not give:
// the raw text and the starting line of a bad object, stored with the rejected row.
import type { Readable } from 'node:stream';

export type JsonRecord = { line: number; raw: string; value: Record<string, unknown> } | { line: number; raw: string; error: string };

/** The longest object a page may have: 16 Mi characters (a longer one is rejected, its text not held). */
export const MAX_OBJECT_LENGTH = 16 * 1024 * 1024;
const PREVIEW = 1000;

export async function* readJsonObjects(input: Readable, maxObjectLength = MAX_OBJECT_LENGTH): AsyncGenerator<JsonRecord, void, undefined> {
  input.setEncoding('utf8');
  const stack: ('[' | '{')[] = [];
  let line = 1;
  let inString = false;
  let escaped = false;
  // parts: the object's text so far; past the cap only its first characters (preview) and its length
  let capture: { line: number; depth: number; parts: string[]; from: number; held: number; preview?: string } | null = null;
  let first = true;
  for await (const piece of input as AsyncIterable<string>) {
    let chunk = piece;
    if (first && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    first = false;
    if (capture) capture.from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === '\n') line += 1;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '[' || c === '{') {
        // An object element of the root array (depth 1) or of an array under the root object (depth 2).
        if (!capture && c === '{' && stack.at(-1) === '[' && stack.length <= 2)
          capture = { line, depth: stack.length, parts: [], from: i, held: 0 };
        stack.push(c);
      } else if (c === ']' || c === '}') {
        stack.pop();
        if (capture && c === '}' && stack.length === capture.depth) {
          const at = capture.line;
          if (capture.preview !== undefined || capture.held + (i + 1 - capture.from) > maxObjectLength) {
            const length = capture.held + (i + 1 - capture.from);
            const raw = capture.preview ?? (capture.parts.join('') + chunk.slice(capture.from, i + 1)).slice(0, PREVIEW);
            capture = null;
            yield { line: at, raw, error: `the object is ${length} characters long, more than the ${maxObjectLength} an object may have` };
            continue;
          }
          const raw = capture.parts.join('') + chunk.slice(capture.from, i + 1);
          capture = null;
          let value: unknown;
          try {
            value = JSON.parse(raw);
          } catch (err) {
            yield { line: at, raw, error: `not JSON: ${(err as Error).message}` };
            continue;
          }
          yield { line: at, raw, value: value as Record<string, unknown> };
        }
      }
    }
    if (capture) {
      const piece = chunk.slice(capture.from);
      if (capture.preview === undefined && capture.held + piece.length > maxObjectLength) {
        capture.preview = (capture.parts.join('') + piece).slice(0, PREVIEW);
        capture.parts = [];
      } else if (capture.preview === undefined) capture.parts.push(piece);
      capture.held += piece.length;
    }
  }
  if (capture) yield { line: capture.line, raw: capture.preview ?? capture.parts.join(''), error: 'the document ends inside this object' };
}
