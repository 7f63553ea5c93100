// Reading the CSV exports back in tests: the byte-order mark, CRLF line ends and RFC 4180 quoting.
import assert from 'node:assert/strict';

/** The rows of a CSV export as cells (quoted cells unquoted), after checking the BOM and the line ends. */
export function csvRows(text: string): string[][] {
  assert.ok(text.startsWith('\uFEFF'), 'a UTF-8 byte-order mark first');
  const body = text.slice(1);
  assert.ok(body.endsWith('\r\n'), 'lines end with CRLF');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < body.length; index += 1) {
    const char = body[index] as string;
    if (quoted) {
      if (char === '"' && body[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && body[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index += 1;
    } else cell += char;
  }
  return rows;
}
