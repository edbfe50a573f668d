// The documents of a YAML stream as chunks of its text, each with the lines it starts on (for `file:line`).

export interface DocumentChunk {
  readonly text: string;
  /** Line (1-based) of the chunk's first line in the file. */
  readonly firstLine: number;
  /** Line (1-based) of the first line that is neither blank nor a comment. */
  readonly firstContentLine: number;
}

const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?:[ \t]|$)/;

/**
 * The documents of a YAML stream, split at `---` and `...` lines (which end any scalar in YAML, so no document
 * can contain one). Content on a `---` line starts the next document; directives (`%YAML`) are dropped.
 *
 * A document whose lines are all as written (the usual case) is one slice of the text; only one with a changed line
 * (a directive dropped, content moved off a `---` line, a `\r` taken off) is put together line by line.
 */
export function* documentChunks(text: string): Generator<DocumentChunk> {
  let start = 0;
  let line = 1;
  /** Where the chunk's first and (so far) last lines are in `text`; -1 before its first line. */
  let chunkStart = -1;
  let chunkEnd = -1;
  /** The chunk's lines, once one of them is not as written. */
  let rewritten: string[] | undefined;
  let chunkFirstLine = 1;
  let firstContentLine = 0;
  const flush = function* (): Generator<DocumentChunk> {
    if (firstContentLine > 0) {
      const chunkText = rewritten?.join('\n') ?? text.slice(chunkStart, chunkEnd);
      yield { text: chunkText, firstLine: chunkFirstLine, firstContentLine };
    }
    chunkStart = -1;
    rewritten = undefined;
    firstContentLine = 0;
  };
  const push = (lineStart: number, lineEnd: number, content: string | undefined) => {
    if (content !== undefined && rewritten === undefined)
      rewritten = chunkStart < 0 ? [] : text.slice(chunkStart, chunkEnd).split('\n');
    if (chunkStart < 0) chunkStart = lineStart;
    chunkEnd = lineEnd;
    rewritten?.push(content ?? text.slice(lineStart, lineEnd));
  };
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const carriageReturn = end > start && text.charCodeAt(end - 1) === 13;
    const contentEnd = carriageReturn ? end - 1 : end;
    const first = text.charCodeAt(start);
    /** The line as it goes into the chunk, when that is not as written. */
    let content: string | undefined = carriageReturn ? text.slice(start, contentEnd) : undefined;
    let empty = contentEnd === start;
    // `-` or `.`: perhaps a document marker.
    if ((first === 45 || first === 46) && DOCUMENT_MARKER.test(text.slice(start, contentEnd))) {
      yield* flush();
      chunkFirstLine = line;
      const rest = text.slice(start + 3, contentEnd);
      // `--- {a: 1}` or `--- |`: the document starts on the marker's line (kept in its column).
      content = rest.trim() === '' || rest.trimStart().startsWith('#') ? '' : `   ${rest}`;
      empty = content === '';
      if (empty) chunkFirstLine = line + 1;
    } else if (firstContentLine === 0 && first === 37) {
      content = '';
      empty = true;
    }
    if (chunkStart < 0 && empty && firstContentLine === 0) {
      chunkFirstLine = line + 1;
    } else {
      push(start, contentEnd, content);
      const hasContent =
        content === undefined ? isContent(text, start, contentEnd) : isContent(content, 0, content.length);
      if (firstContentLine === 0 && hasContent) firstContentLine = line;
    }
    start = end + 1;
    line++;
  }
  yield* flush();
}

const NON_BLANK = /\s*(\S)/y;

/** Whether text[start, end) has anything but blanks and a comment. */
function isContent(text: string, start: number, end: number): boolean {
  NON_BLANK.lastIndex = start;
  const found = NON_BLANK.exec(text);
  return found !== null && NON_BLANK.lastIndex - 1 < end && found[1] !== '#';
}
