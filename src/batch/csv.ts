/**
 * RFC 4180 CSV (docs/MANIFEST.md § 2): comma-separated fields, CRLF or LF line ends,
 * fields in double quotes may hold commas, line breaks and doubled quotes (`""`).
 * A quote inside an unquoted field, text after a closing quote, or an unclosed quote is
 * an error reported with the line it starts on; the rest of the text is still parsed so
 * that every bad row is reported at once.
 */

export interface CsvRecord {
  /** 1-based physical line on which the record starts. */
  line: number;
  fields: string[];
}

export interface CsvError {
  line: number;
  reason: string;
}

export function parseCsv(text: string): { records: CsvRecord[]; errors: CsvError[] } {
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  // A UTF-8 byte order mark is not part of the first field.
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let bad: string | undefined;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (!closed) {
          bad ??= 'unclosed quote';
        } else if (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          bad ??= 'text after a closing quote';
          while (i < n && text[i] !== ',' && text[i] !== '\n') i++;
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') bad ??= 'quote inside an unquoted field';
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') {
      i++;
      line++;
    }
    // Blank lines carry no record (SHOULD NOT appear; tolerated).
    if (fields.length === 1 && fields[0] === '' && !bad) continue;
    if (bad) errors.push({ line: start, reason: `bad CSV quoting: ${bad}` });
    else records.push({ line: start, fields });
  }
  return { records, errors };
}
