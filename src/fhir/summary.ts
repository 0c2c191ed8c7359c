/**
 * FHIR R4 resources as text a person reads (docs/FHIR.md § 11): the one place that turns
 * a resource into a line of history ("2020-03-03  lab  Hemoglobin 13.9 g/dL") or into the
 * labelled details `emr record show` prints. Pure (no I/O), so the command line and the
 * web view render a record the same way.
 *
 * Every string here comes from a record's author and is hostile: the functions bound its
 * length and never trust its shape (a missing or mistyped element is skipped, not thrown
 * on). Escaping for a terminal is the printer's job (output.ts safeText): the text stays
 * exact data here, for `--json` and for a web page that escapes for HTML instead.
 */
import { BILLING, careDateOf, REFERENCE_DATA } from './split.js';

type Json = Record<string, any>;

/** Longest piece of text taken from a resource (docs/FHIR.md § 11.4). */
export const MAX_TEXT = 200;
/** Most resources read out of one record (docs/FHIR.md § 1: a Bundle has at most 10,000 entries). */
export const MAX_RESOURCES = 10_000;

/** One dated clinical item of a history (docs/FHIR.md § 11.1). */
export interface HistoryItem {
  /** The date of care as the resource gives it (FHIR date or dateTime, its own offset). */
  date: string;
  /** Its calendar day as written: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (no time-zone shift). */
  day: string;
  /** What kind of item: encounter, lab, vitals, diagnosis, immunization, … (§ 11.2). */
  kind: string;
  summary: string;
  resourceType: string;
  id?: string;
  /** The `encounter` (or, for an Encounter, its own) reference, so a view can group by visit. */
  encounter?: string;
}

/** One resource rendered for `record show` (docs/FHIR.md § 11.3). */
export interface RenderedResource {
  resourceType: string;
  id?: string;
  kind: string;
  date?: string;
  summary: string;
  details: Array<[label: string, value: string]>;
}

/** Not clinical history: billing and directory data (FHIR.md § 3) and the demographics (§ 4). */
const NOT_HISTORY: ReadonlySet<string> = new Set(['Patient', 'Bundle', ...BILLING, ...REFERENCE_DATA]);

/** A resource that is reference data, billing or demographics: never a history item, and not "undated" either. */
export function isNotHistory(resourceType: string): boolean {
  return NOT_HISTORY.has(resourceType);
}

const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const first = (v: unknown): Json | undefined => obj(Array.isArray(v) ? v[0] : v);

/** A string from the data, bounded (§ 11.4); anything else is absent. */
export function clip(v: unknown, max = MAX_TEXT): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s.length === 0) return undefined;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * SNOMED CT semantic tags ("Headache (finding)"): a classifier's word, not the clinician's;
 * a person reads "Headache" (§ 11.4). Only these known tags are removed.
 */
const SEMANTIC_TAG =
  / \((finding|disorder|procedure|situation|physical object|record artifact|qualifier value|observable entity|regime\/therapy|morphologic abnormality|substance|product|event|body structure|person|occupation|environment)\)$/;

/** A CodeableConcept as text: its `text`, else the first coding's display, else its code. */
export function conceptText(cc: unknown): string | undefined {
  const c = obj(cc);
  if (!c) return undefined;
  const coding = arr(c.coding)
    .map(obj)
    .filter((x): x is Json => !!x);
  const t = clip(c.text) ?? coding.map((x) => clip(x.display)).find(Boolean) ?? coding.map((x) => clip(x.code)).find(Boolean);
  return t?.replace(SEMANTIC_TAG, '');
}

/** UCUM codes printed as people write them (§ 11.4); others as they are. */
const UNIT_SYMBOL: Record<string, string> = {
  Cel: '°C',
  '[degF]': '°F',
  'mm[Hg]': 'mmHg',
  '[in_i]': 'in',
  '[lb_av]': 'lb',
  'kg/m2': 'kg/m²',
  '{beats}/min': '/min',
};

const num = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

/** A Quantity: comparator, value exactly as recorded (never rounded), unit. */
export function quantityText(q: unknown): string | undefined {
  const x = obj(q);
  const value = num(x?.value);
  if (!x || value === undefined) return undefined;
  const unit = clip(x.unit, 40) ?? clip(x.code, 40);
  const shown = unit !== undefined ? (UNIT_SYMBOL[unit] ?? unit) : undefined;
  const cmp = typeof x.comparator === 'string' && ['<', '<=', '>=', '>'].includes(x.comparator) ? x.comparator : '';
  return `${cmp}${value}${shown ? (shown === '%' ? '%' : ` ${shown}`) : ''}`;
}

function rangeText(r: unknown): string | undefined {
  const x = obj(r);
  if (!x) return undefined;
  const lo = quantityText(x.low);
  const hi = quantityText(x.high);
  if (lo && hi) {
    // "13.5–17.5 g/dL" when both ends share the unit.
    const lu = lo.replace(/^[<>=]*[-\d.e+]+/, '');
    return lu && hi.endsWith(lu) ? `${lo.slice(0, lo.length - lu.length)}–${hi}` : `${lo}–${hi}`;
  }
  if (lo) return `≥ ${lo}`;
  if (hi) return `≤ ${hi}`;
  return clip(x.text);
}

/** The value[x] of an Observation (or one of its components). */
export function valueText(o: Json): string | undefined {
  if (o.valueQuantity !== undefined) return quantityText(o.valueQuantity);
  if (o.valueCodeableConcept !== undefined) return conceptText(o.valueCodeableConcept);
  if (typeof o.valueString === 'string') return clip(o.valueString);
  if (typeof o.valueBoolean === 'boolean') return o.valueBoolean ? 'yes' : 'no';
  if (o.valueInteger !== undefined) return num(o.valueInteger);
  if (o.valueRange !== undefined) return rangeText(o.valueRange);
  if (o.valueRatio !== undefined) {
    const n = quantityText(o.valueRatio?.numerator);
    const d = quantityText(o.valueRatio?.denominator);
    return n && d ? `${n} / ${d}` : undefined;
  }
  for (const k of ['valueDateTime', 'valueTime']) if (typeof o[k] === 'string') return clip(o[k], 40);
  if (o.valuePeriod !== undefined) return periodText(o.valuePeriod);
  return undefined;
}

function periodText(p: unknown): string | undefined {
  const x = obj(p);
  const s = clip(x?.start, 40);
  const e = clip(x?.end, 40);
  return s && e ? `${s} – ${e}` : (s ?? (e ? `until ${e}` : undefined));
}

const codesOf = (cc: unknown): string[] =>
  arr(obj(cc)?.coding)
    .map((c) => obj(c)?.code)
    .filter((c): c is string => typeof c === 'string');

/** LOINC blood pressure panel and its parts: printed as people write it, "131/81 mmHg". */
function bloodPressure(o: Json): string | undefined {
  const comps = arr(o.component)
    .map(obj)
    .filter((c): c is Json => !!c);
  const part = (code: string) => comps.find((c) => codesOf(c.code).includes(code));
  const sys = part('8480-6');
  const dia = part('8462-4');
  const sv = num(obj(sys?.valueQuantity)?.value);
  const dv = num(obj(dia?.valueQuantity)?.value);
  if (sv === undefined || dv === undefined) return undefined;
  const unit = quantityText(sys!.valueQuantity)!.slice(sv.length).trim();
  return `${sv}/${dv}${unit ? ` ${unit}` : ''}`;
}

function interpretation(o: Json): string | undefined {
  return conceptText(first(o.interpretation));
}

function observationSummary(o: Json): string {
  const name = conceptText(o.code) ?? 'Observation';
  const bp = bloodPressure(o);
  if (bp) return `${name} ${bp}`;
  let v = valueText(o);
  if (v === undefined && arr(o.component).length > 0) {
    v = arr(o.component)
      .map(obj)
      .filter((c): c is Json => !!c)
      .slice(0, 10)
      .map((c) => [conceptText(c.code), valueText(c)].filter(Boolean).join(' '))
      .filter(Boolean)
      .join(', ');
  }
  const absent = conceptText(o.dataAbsentReason);
  const flag = interpretation(o);
  const coded = o.valueCodeableConcept !== undefined || o.valueString !== undefined || o.valueBoolean !== undefined;
  const main = v
    ? coded || arr(o.component).length > 0
      ? `${name}: ${v}`
      : `${name} ${v}`
    : absent
      ? `${name}: no value (${absent})`
      : name;
  return flag ? `${main} (${flag})` : main;
}

const CLASS_NAMES: Record<string, string> = {
  AMB: 'outpatient',
  EMER: 'emergency',
  IMP: 'inpatient',
  ACUTE: 'inpatient acute',
  NONAC: 'inpatient non-acute',
  OBSENC: 'observation',
  PRENC: 'pre-admission',
  SS: 'short stay',
  VR: 'virtual',
  HH: 'home health',
  FLD: 'field',
};

/** A Dosage as text: its `text`, else dose, frequency, route and "as needed" built up. */
export function dosageText(d: unknown): string | undefined {
  const x = obj(d);
  if (!x) return undefined;
  const t = clip(x.text);
  if (t) return t;
  const parts: string[] = [];
  const dose = quantityText(obj(first(x.doseAndRate))?.doseQuantity) ?? rangeText(obj(first(x.doseAndRate))?.doseRange);
  if (dose) parts.push(dose);
  const rep = obj(obj(x.timing)?.repeat);
  const f = typeof rep?.frequency === 'number' ? rep.frequency : undefined;
  const p = typeof rep?.period === 'number' ? rep.period : undefined;
  const unit =
    typeof rep?.periodUnit === 'string'
      ? ({ s: 's', min: 'min', h: 'h', d: 'day', wk: 'week', mo: 'month', a: 'year' } as Record<string, string>)[rep.periodUnit]
      : undefined;
  if (p !== undefined && unit) {
    if ((f ?? 1) === 1) parts.push(p === 1 ? `once a ${unit}` : `every ${p} ${unit}`);
    else parts.push(p === 1 ? `${f} times a ${unit}` : `${f} times every ${p} ${unit}`);
  } else {
    const timing = conceptText(obj(x.timing)?.code);
    if (timing) parts.push(timing);
  }
  const route = conceptText(x.route);
  if (route) parts.push(route);
  if (x.asNeededBoolean === true) parts.push('as needed');
  const asNeeded = conceptText(x.asNeededCodeableConcept);
  if (asNeeded) parts.push(`as needed for ${asNeeded}`);
  return parts.length ? parts.join(', ') : undefined;
}

function medicationName(r: Json): string {
  return conceptText(r.medicationCodeableConcept) ?? clip(obj(r.medicationReference)?.display) ?? 'medication';
}

const refDisplay = (v: unknown): string | undefined => clip(obj(v)?.display);

/** The kind of item a resource is, as a history lists it (docs/FHIR.md § 11.2). */
export function kindOf(r: Json): string {
  const t = String(r.resourceType);
  switch (t) {
    case 'Observation': {
      const cat = arr(r.category).flatMap(codesOf);
      if (cat.includes('laboratory')) return 'lab';
      if (cat.includes('vital-signs')) return 'vitals';
      if (cat.includes('imaging')) return 'imaging';
      return 'observation';
    }
    case 'Condition':
      return 'diagnosis';
    case 'DiagnosticReport':
      return 'report';
    case 'MedicationRequest':
      return 'prescription';
    case 'MedicationStatement':
    case 'MedicationAdministration':
      return 'medication';
    case 'MedicationDispense':
      return 'dispensed';
    case 'AllergyIntolerance':
      return 'allergy';
    case 'CarePlan':
      return 'care plan';
    case 'CareTeam':
      return 'care team';
    case 'DocumentReference':
      return 'document';
    case 'ImagingStudy':
      return 'imaging';
    case 'FamilyMemberHistory':
      return 'family history';
    case 'ServiceRequest':
      return 'order';
    default:
      return t.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}

/** One line about a resource: what it was, with value and unit (docs/FHIR.md § 11.2). */
export function summaryOf(r: Json): string {
  const t = String(r.resourceType);
  const status = typeof r.status === 'string' ? r.status : undefined;
  const s = ((): string => {
    switch (t) {
      case 'Observation':
        return observationSummary(r);
      case 'Condition':
        return `Diagnosis: ${conceptText(r.code) ?? 'unnamed'}`;
      case 'Immunization':
        return `${conceptText(r.vaccineCode) ?? 'Vaccine'}${status === 'not-done' ? ' (not given)' : ''}`;
      case 'Procedure':
        return `${conceptText(r.code) ?? 'Procedure'}${status && !['completed', 'in-progress'].includes(status) ? ` (${status})` : ''}`;
      case 'Encounter': {
        const what = conceptText(first(r.type)) ?? conceptText(first(r.reasonCode)) ?? 'Encounter';
        const cls = typeof obj(r.class)?.code === 'string' ? CLASS_NAMES[r.class.code] : undefined;
        const where = refDisplay(r.serviceProvider) ?? refDisplay(obj(first(r.location))?.location);
        return `${what}${cls ? ` (${cls})` : ''}${where ? ` at ${where}` : ''}`;
      }
      case 'DiagnosticReport': {
        const n = arr(r.result).length;
        const concl = clip(r.conclusion);
        return `${conceptText(r.code) ?? 'Report'}${n ? ` (${n} result${n === 1 ? '' : 's'})` : ''}${concl ? `: ${concl}` : ''}`;
      }
      case 'MedicationRequest':
      case 'MedicationStatement':
      case 'MedicationAdministration':
      case 'MedicationDispense': {
        const dose =
          dosageText(first(r.dosageInstruction ?? r.dosage)) ?? (t === 'MedicationAdministration' ? dosageText(r.dosage) : undefined);
        return `${medicationName(r)}${dose ? ` — ${dose}` : ''}`;
      }
      case 'AllergyIntolerance': {
        const crit = r.criticality === 'high' ? ' (high criticality)' : '';
        return `Allergy: ${conceptText(r.code) ?? 'unnamed'}${crit}`;
      }
      case 'CarePlan':
        return `Care plan: ${clip(r.title) ?? conceptText(first(r.category)) ?? 'unnamed'}`;
      case 'CareTeam':
        return `Care team${conceptText(first(r.reasonCode)) ? `: ${conceptText(first(r.reasonCode))}` : ''}`;
      case 'Goal':
        return `Goal: ${conceptText(r.description) ?? 'unnamed'}`;
      case 'DocumentReference':
        return `Document: ${clip(r.description) ?? conceptText(r.type) ?? clip(obj(obj(first(r.content))?.attachment)?.title) ?? 'unnamed'}`;
      case 'ImagingStudy':
        return `Imaging: ${
          clip(r.description) ??
          arr(r.modality)
            .map((m) => clip(obj(m)?.code, 10))
            .filter(Boolean)
            .join(', ') ??
          'study'
        }`;
      case 'FamilyMemberHistory': {
        const who = conceptText(r.relationship) ?? 'relative';
        const what = arr(r.condition)
          .map((c) => conceptText(obj(c)?.code))
          .filter(Boolean)
          .slice(0, 5)
          .join(', ');
        return `Family history: ${who}${what ? ` — ${what}` : ''}`;
      }
      case 'Patient':
        return `Patient: ${nameText(first(r.name)) ?? 'unnamed'}`;
      default: {
        const about = conceptText(r.code) ?? conceptText(first(r.type)) ?? conceptText(first(r.category));
        return about ? `${t}: ${about}` : t;
      }
    }
  })();
  // An entered-in-error resource must not read as fact (R4 status semantics).
  return status === 'entered-in-error' ? `${s} [entered in error]` : s;
}

function nameText(n: Json | undefined): string | undefined {
  if (!n) return undefined;
  return clip(n.text) ?? clip([...arr(n.given), n.family].filter((x) => typeof x === 'string').join(' '));
}

/** The day of a FHIR date as written: `YYYY[-MM[-DD]]`, no time-zone shift (§ 11.1). */
export function dayOf(date: string): string {
  return date.slice(0, 10).replace(/T.*$/, '');
}

/** The resources a record holds: the entries of a Bundle, or the one resource (bounded). */
export function resourcesOf(doc: unknown): Json[] {
  const d = obj(doc);
  if (!d || typeof d.resourceType !== 'string') return [];
  if (d.resourceType !== 'Bundle') return [d];
  return arr(d.entry)
    .slice(0, MAX_RESOURCES)
    .map((e) => obj(obj(e)?.resource))
    .filter((r): r is Json => !!r && typeof r.resourceType === 'string');
}

/**
 * The history item of one resource, or undefined when it is not clinical history (billing,
 * directory data, demographics) or has no date of care (docs/FHIR.md § 11.1).
 */
export function historyItemOf(r: Json): HistoryItem | undefined {
  if (NOT_HISTORY.has(r.resourceType)) return undefined;
  const date = careDateOf(r);
  if (!date) return undefined;
  const enc =
    r.resourceType === 'Encounter'
      ? typeof r.id === 'string'
        ? `Encounter/${clip(r.id, 64)}`
        : undefined
      : clip(obj(r.encounter ?? r.context)?.reference, 128);
  return {
    date,
    day: dayOf(date),
    kind: kindOf(r),
    summary: summaryOf(r),
    resourceType: String(r.resourceType).slice(0, 64),
    ...(typeof r.id === 'string' ? { id: r.id.slice(0, 64) } : {}),
    ...(enc ? { encounter: enc } : {}),
  };
}

/** Within a day an encounter comes first, then what happened in it (§ 11.1). */
const KIND_ORDER = ['encounter', 'diagnosis', 'vitals', 'lab', 'report', 'observation', 'procedure', 'immunization'];

/** Timeline order: day, then time as written, then encounter before its findings, then text. */
export function compareItems(a: Pick<HistoryItem, 'day' | 'date' | 'kind' | 'summary'>, b: typeof a): number {
  if (a.day !== b.day) return a.day < b.day ? -1 : 1;
  const ea = a.kind === 'encounter';
  if (ea !== (b.kind === 'encounter')) return ea ? -1 : 1;
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  // Unknown kinds after the known ones (indexOf -1 becomes the largest unsigned value).
  const ka = KIND_ORDER.indexOf(a.kind) >>> 0;
  const kb = KIND_ORDER.indexOf(b.kind) >>> 0;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.summary < b.summary ? -1 : a.summary > b.summary ? 1 : 0;
}

/** The labelled details of one resource for `record show` (docs/FHIR.md § 11.3). */
export function renderResource(r: Json): RenderedResource {
  const t = String(r.resourceType).slice(0, 64);
  const details: Array<[string, string]> = [];
  const add = (label: string, v: string | undefined) => {
    if (v !== undefined && v !== '') details.push([label, v]);
  };
  add('status', clip(r.status, 40));
  switch (t) {
    case 'Observation': {
      add('value', valueText(r) ?? bloodPressure(r));
      for (const c of arr(r.component).map(obj).slice(0, 20)) if (c) add(conceptText(c.code) ?? 'component', valueText(c));
      for (const rr of arr(r.referenceRange).map(obj).slice(0, 5)) {
        if (!rr) continue;
        const who = conceptText(rr.appliesTo?.[0]) ?? conceptText(rr.type);
        add(`reference range${who ? ` (${who})` : ''}`, rangeText(rr) ?? clip(rr.text));
      }
      add('interpretation', interpretation(r));
      add('no value', conceptText(r.dataAbsentReason));
      add('category', arr(r.category).map(conceptText).filter(Boolean).join(', '));
      add('when', clip(r.effectiveDateTime, 40) ?? periodText(r.effectivePeriod));
      add('issued', clip(r.issued, 40));
      break;
    }
    case 'Condition':
      add('clinical status', conceptText(r.clinicalStatus));
      add('verification', conceptText(r.verificationStatus));
      add('onset', clip(r.onsetDateTime, 40) ?? periodText(r.onsetPeriod) ?? clip(r.onsetString));
      add('abated', clip(r.abatementDateTime, 40) ?? periodText(r.abatementPeriod) ?? clip(r.abatementString));
      add('recorded', clip(r.recordedDate, 40));
      add('severity', conceptText(r.severity));
      add('body site', arr(r.bodySite).map(conceptText).filter(Boolean).join(', '));
      break;
    case 'MedicationRequest':
    case 'MedicationStatement':
    case 'MedicationAdministration':
    case 'MedicationDispense':
      add('medication', medicationName(r));
      for (const d of arr(r.dosageInstruction ?? r.dosage).slice(0, 10)) add('dosage', dosageText(d));
      if (t === 'MedicationAdministration') add('dosage', dosageText(r.dosage));
      add('intent', clip(r.intent, 40));
      add('authored', clip(r.authoredOn, 40));
      add('requester', refDisplay(r.requester));
      add('reason', arr(r.reasonCode).map(conceptText).filter(Boolean).join(', '));
      add('quantity', quantityText(r.dispenseRequest?.quantity ?? r.quantity));
      add('repeats allowed', num(r.dispenseRequest?.numberOfRepeatsAllowed));
      add('handed over', clip(r.whenHandedOver, 40));
      break;
    case 'Immunization':
      add('vaccine', conceptText(r.vaccineCode));
      add('given', clip(r.occurrenceDateTime, 40) ?? clip(r.occurrenceString));
      add('lot', clip(r.lotNumber, 40));
      add('site', conceptText(r.site));
      add('route', conceptText(r.route));
      add('dose', quantityText(r.doseQuantity));
      break;
    case 'Procedure':
      add('procedure', conceptText(r.code));
      add('performed', clip(r.performedDateTime, 40) ?? periodText(r.performedPeriod));
      add('reason', [...arr(r.reasonCode).map(conceptText), ...arr(r.reasonReference).map(refDisplay)].filter(Boolean).join(', '));
      add('body site', arr(r.bodySite).map(conceptText).filter(Boolean).join(', '));
      add('outcome', conceptText(r.outcome));
      break;
    case 'Encounter':
      add('type', arr(r.type).map(conceptText).filter(Boolean).join(', '));
      add('class', typeof r.class?.code === 'string' ? (CLASS_NAMES[r.class.code] ?? clip(r.class.code, 20)) : undefined);
      add('period', periodText(r.period));
      add('reason', arr(r.reasonCode).map(conceptText).filter(Boolean).join(', '));
      add('provider', refDisplay(r.serviceProvider));
      add(
        'practitioner',
        arr(r.participant)
          .map((p) => refDisplay(obj(p)?.individual))
          .filter(Boolean)
          .slice(0, 5)
          .join(', '),
      );
      break;
    case 'DiagnosticReport':
      add('report', conceptText(r.code));
      add('when', clip(r.effectiveDateTime, 40) ?? periodText(r.effectivePeriod));
      for (const x of arr(r.result).slice(0, 50)) add('result', refDisplay(x));
      add('conclusion', clip(r.conclusion, 1000));
      break;
    case 'AllergyIntolerance':
      add('substance', conceptText(r.code));
      add('criticality', clip(r.criticality, 20));
      add('clinical status', conceptText(r.clinicalStatus));
      for (const re of arr(r.reaction).map(obj).slice(0, 10))
        if (re)
          add(
            'reaction',
            arr(re.manifestation).map(conceptText).filter(Boolean).join(', ') + (re.severity ? ` (${clip(re.severity, 20)})` : ''),
          );
      add('onset', clip(r.onsetDateTime, 40));
      break;
    case 'CarePlan':
      add('period', periodText(r.period));
      for (const a of arr(r.activity).slice(0, 20)) add('activity', conceptText(obj(obj(a)?.detail)?.code));
      break;
    case 'Patient':
      add('name', nameText(first(r.name)));
      add('born', clip(r.birthDate, 20));
      add('gender', clip(r.gender, 20));
      break;
    default:
      add('date', careDateOf(r));
  }
  const date = careDateOf(r);
  return {
    resourceType: t,
    ...(typeof r.id === 'string' ? { id: r.id.slice(0, 64) } : {}),
    kind: kindOf(r),
    ...(date ? { date } : {}),
    summary: summaryOf(r),
    details,
  };
}
