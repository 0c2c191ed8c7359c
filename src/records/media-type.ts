/**
 * The media type of a file from its name's extension: what `record add` signs when the
 * caller gives none (docs/CLI.md `record add`), and what the FHIR export assumes for a
 * record signed before the media type was (docs/FHIR.md § 9). Unknown: undefined, never a
 * guess from the bytes.
 */
const KNOWN: Readonly<Record<string, string>> = Object.freeze({
  pdf: 'application/pdf',
  txt: 'text/plain',
  json: 'application/json',
  xml: 'application/xml',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  dcm: 'application/dicom',
  html: 'text/html',
  md: 'text/markdown',
});

export function mediaTypeOf(name: string | null | undefined): string | undefined {
  const ext = name?.toLowerCase().split('.').pop();
  return ext && Object.hasOwn(KNOWN, ext) ? KNOWN[ext] : undefined;
}
