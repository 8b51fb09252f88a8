/**
 * The synthetic identity documents the face bench and samples/ are made of: ICAO 9303 MRZs and the seeded generator.
 * The specimens are ICAO 9303's own (part 4, TD3 passport; part 5, TD1 card), so the check digits are not ours.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { makeIdCard } from '../../../local/rekognition/engine/evaluation/id-card';
import { checkDigit, td1Lines, td3Lines } from '../../../local/rekognition/engine/evaluation/mrz';

const portrait = () => readFile(fileURLToPath(new URL('../../fixtures/faces/engine-lfw-george_w_bush_0353.jpg', import.meta.url)));

const ANNA = {
  issuingState: 'UTO',
  nationality: 'UTO',
  surname: 'Eriksson',
  givenNames: 'Anna María',
  dateOfBirth: '740812',
  sex: 'F',
  dateOfExpiry: '120415',
} as const;

describe('machine-readable zones', () => {
  it('writes the TD3 passport specimen of ICAO 9303 part 4, check digits included', () => {
    expect(td3Lines({ ...ANNA, documentNumber: 'L898902C3', optionalData: 'ZE184226B' })).toEqual([
      'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
    ]);
  });

  it('writes the TD1 card specimen of ICAO 9303 part 5, composite check digit included', () => {
    expect(td1Lines({ ...ANNA, documentNumber: 'D23145890' })).toEqual([
      'I<UTOD231458907<<<<<<<<<<<<<<<',
      '7408122F1204159UTO<<<<<<<<<<<6',
      'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
    ]);
  });

  it('refuses a character an MRZ cannot hold', () => {
    expect(() => checkDigit('L89890-C3')).toThrow(/cannot appear/);
  });

  it('refuses a date that is not YYMMDD and a document number longer than its field', () => {
    expect(() => td3Lines({ ...ANNA, documentNumber: 'L898902C3', dateOfBirth: '1974-08-12' })).toThrow(/YYMMDD/);
    expect(() => td1Lines({ ...ANNA, documentNumber: 'D231458901234' })).toThrow(/longer than/);
  });
});

describe('ID card generator', () => {
  it('gives the same bytes for the same seed and portrait, and another card for another seed', async () => {
    const photo = await portrait();
    const [first, again, other] = await Promise.all([
      makeIdCard(photo, { seed: 'same' }),
      makeIdCard(photo, { seed: 'same' }),
      makeIdCard(photo, { seed: 'other' }),
    ]);
    expect(again.image.equals(first.image)).toBe(true);
    expect(other.image.equals(first.image)).toBe(false);
  });

  it('photographs a passport about 1,100 px wide as a JPEG whose TD3 MRZ encodes the printed fields', async () => {
    const { image, width, fields } = await makeIdCard(await portrait(), { seed: 1, layout: 'passport' });
    expect(width).toBe(1100);
    expect((await sharp(image).metadata()).format).toBe('jpeg');
    expect(fields.documentType).toBe('PASSPORT');
    const expected = td3Lines({
      issuingState: 'UTO',
      nationality: 'UTO',
      surname: fields.surname,
      givenNames: fields.givenNames,
      documentNumber: fields.documentNumber,
      dateOfBirth: fields.dateOfBirth.replace(/-/g, '').slice(2),
      sex: fields.sex,
      dateOfExpiry: fields.dateOfExpiry.replace(/-/g, '').slice(2),
    });
    expect(fields.mrz).toEqual(expected);
  });

  it('prints a three-line TD1 MRZ on an identity card and none on a driving licence', async () => {
    const photo = await portrait();
    const card = await makeIdCard(photo, { seed: 2, layout: 'national-id' });
    const licence = await makeIdCard(photo, { seed: 2, layout: 'driving-licence' });
    expect(card.fields.mrz?.map((line) => line.length)).toEqual([30, 30, 30]);
    expect(card.fields.mrz?.[0]).toMatch(/^I<UTO/);
    expect(licence.fields.mrz).toBeNull();
    expect(licence.fields.documentType).toBe('DRIVING LICENCE');
  });

  it('issues documents valid for ten years from 2024-2026 unless told an expiry date', async () => {
    const photo = await portrait();
    const valid = await makeIdCard(photo, { seed: 3 });
    expect(Number(valid.fields.dateOfExpiry.slice(0, 4)) - Number(valid.fields.dateOfIssue.slice(0, 4))).toBe(10);
    expect(valid.fields.dateOfIssue >= '2024-01-01' && valid.fields.dateOfIssue <= '2026-12-31').toBe(true);
    const expired = await makeIdCard(photo, { seed: 3, layout: 'passport', dateOfExpiry: '2020-02-29' });
    expect(expired.fields.dateOfExpiry).toBe('2020-02-29');
    expect(expired.fields.mrz?.[1]?.slice(21, 28)).toBe(`200229${checkDigit('200229')}`);
  });

  it('refuses an expiry date that is not YYYY-MM-DD', async () => {
    await expect(makeIdCard(await portrait(), { seed: 4, dateOfExpiry: '29.02.2020' })).rejects.toThrow(/YYYY-MM-DD/);
  });
});
