/** ICAO 9303 machine-readable zones (TD1 cards, TD3 passports) for the synthetic identity documents. */

/** What the MRZ encodes. Dates are YYMMDD, as the MRZ writes them; names any case, with spaces and hyphens. */
export interface MrzFields {
  issuingState: string;
  nationality: string;
  surname: string;
  givenNames: string;
  documentNumber: string;
  dateOfBirth: string;
  sex: 'M' | 'F' | '<';
  dateOfExpiry: string;
  /** TD3's personal number, TD1's optional data; empty when absent. */
  optionalData?: string;
}

const WEIGHTS = [7, 3, 1] as const;

function characterValue(character: string): number {
  if (character === '<') return 0;
  if (character >= '0' && character <= '9') return character.charCodeAt(0) - 48;
  if (character >= 'A' && character <= 'Z') return character.charCodeAt(0) - 55;
  throw new Error(`'${character}' cannot appear in an MRZ`);
}

/** ICAO 9303 part 3, 4.9: weights 7, 3, 1 repeating, digits as themselves, A-Z as 10-35, filler as 0, modulo 10. */
export function checkDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += characterValue(field[i]!) * WEIGHTS[i % 3]!;
  return String(sum % 10);
}

/** Upper case A-Z and digits, every other run of characters one filler; accents are dropped, not guessed. */
function mrzText(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '<')
    .replace(/^<+|<+$/g, '');
}

function padded(value: string, length: number): string {
  if (value.length > length) throw new Error(`'${value}' is longer than its ${length}-character MRZ field`);
  return value.padEnd(length, '<');
}

/** The name field: SURNAME<<GIVEN<NAMES, cut to the field's length as ICAO allows (truncation, no marker). */
function nameField(surname: string, givenNames: string, length: number): string {
  return `${mrzText(surname)}<<${mrzText(givenNames)}`.slice(0, length).padEnd(length, '<');
}

function checkedDate(date: string): string {
  if (!/^\d{6}$/.test(date)) throw new Error(`MRZ dates are YYMMDD, got '${date}'`);
  return date + checkDigit(date);
}

function countryCode(code: string): string {
  if (!/^[A-Z<]{3}$/.test(code)) throw new Error(`country codes are three letters, got '${code}'`);
  return code;
}

/** The two 44-character lines of a passport data page (TD3). */
export function td3Lines(fields: MrzFields): [string, string] {
  const line1 = `P<${countryCode(fields.issuingState)}${nameField(fields.surname, fields.givenNames, 39)}`;
  const number = padded(mrzText(fields.documentNumber), 9);
  const personal = padded(mrzText(fields.optionalData ?? ''), 14);
  const line2Body =
    `${number}${checkDigit(number)}${countryCode(fields.nationality)}${checkedDate(fields.dateOfBirth)}${fields.sex}` +
    `${checkedDate(fields.dateOfExpiry)}${personal}${checkDigit(personal)}`;
  // The composite covers number, birth, expiry and personal number, each with its check digit.
  const composite = line2Body.slice(0, 10) + line2Body.slice(13, 20) + line2Body.slice(21, 43);
  return [line1, line2Body + checkDigit(composite)];
}

/** The three 30-character lines of an identity card (TD1). */
export function td1Lines(fields: MrzFields): [string, string, string] {
  const number = padded(mrzText(fields.documentNumber), 9);
  const line1 = `I<${countryCode(fields.issuingState)}${number}${checkDigit(number)}${padded(mrzText(fields.optionalData ?? ''), 15)}`;
  const line2Body =
    `${checkedDate(fields.dateOfBirth)}${fields.sex}${checkedDate(fields.dateOfExpiry)}` +
    `${countryCode(fields.nationality)}${'<'.repeat(11)}`;
  // The composite covers line 1 from the number on, and line 2's dates and optional data with their check digits.
  const composite = line1.slice(5, 30) + line2Body.slice(0, 7) + line2Body.slice(8, 15) + line2Body.slice(18, 29);
  return [line1, line2Body + checkDigit(composite), nameField(fields.surname, fields.givenNames, 30)];
}
