/** How the local AnalyzeID turns OCR'd lines into a machine-readable zone (local/textract/mrz.ts), without OCR. */
import { readMrzLines } from '../../../local/textract/mrz';
import { td1Lines, td3Lines, type CardHolder } from './id-cards';

const NOW = new Date('2026-12-01T00:00:00Z');
const HOLDER: CardHolder = {
  surname: 'Eriksson',
  givenNames: 'Anna Maria',
  documentNumber: 'L898902C3',
  country: 'NLD',
  birthDate: '1974-08-12',
  expiryDate: '2031-04-15',
  sex: 'F',
};

describe('reading an MRZ from OCR lines', () => {
  test('reads a passport (TD3) zone: holder, number, dates and issuing state', () => {
    expect(readMrzLines(td3Lines(HOLDER), NOW)).toMatchObject({
      format: 'TD3',
      documentCode: 'P',
      issuingState: 'NLD',
      lastName: 'ERIKSSON',
      firstName: 'ANNA MARIA',
      documentNumber: 'L898902C3',
      birthDate: '1974-08-12',
      expirationDate: '2031-04-15',
    });
  });

  test('reads an identity card (TD1) zone among other lines of text above it', () => {
    expect(readMrzLines(['IDENTITY CARD NLD', ...td1Lines(HOLDER)], NOW)).toMatchObject({ format: 'TD1', documentNumber: 'L898902C3' });
  });

  test('repairs a filler run OCR read one character short or long', () => {
    const [first, second] = td3Lines(HOLDER);
    const zone = readMrzLines([first!.replace('<<<<', '<<<'), second!.replace('<<<<', '<<<<<')], NOW);
    expect(zone?.lines).toEqual(td3Lines(HOLDER));
  });

  test('corrects a letter O read for a zero where the field holds digits', () => {
    const [first, second] = td3Lines(HOLDER);
    expect(readMrzLines([first!, second!.replace('7408122', '74O8122')], NOW)?.birthDate).toBe('1974-08-12');
  });

  test("restores an identity card's document code I that OCR read as T (TD1 codes begin with A, C or I)", () => {
    const [first, ...rest] = td1Lines(HOLDER);
    expect(readMrzLines([first!.replace(/^I/, 'T'), ...rest], NOW)?.documentCode).toBe('I');
  });

  test('restores the filler after the name where OCR read some of its < as letters', () => {
    const [first, second] = td3Lines(HOLDER);
    const zone = readMrzLines([first!.replace(/<{6}$/, 'LL<CC<'), second!], NOW);
    expect(zone?.lines).toEqual(td3Lines(HOLDER));
    expect(zone?.firstName).toBe('ANNA MARIA');
  });

  test('refuses a zone whose check digits disagree', () => {
    const [first, second] = td3Lines(HOLDER);
    expect(readMrzLines([first!, second!.replace('L898902C3', 'L898902C4')], NOW)).toBeUndefined();
  });

  test('reads an expiry date in the century nearest today, so a zone that expired in 1998 is not valid until 2098', () => {
    expect(readMrzLines(td3Lines({ ...HOLDER, birthDate: '1960-01-01', expiryDate: '1998-06-30' }), NOW)?.expirationDate).toBe(
      '1998-06-30',
    );
  });

  test('reads a birth date in the latest century that does not put it in the future', () => {
    expect(readMrzLines(td3Lines({ ...HOLDER, birthDate: '2010-05-05' }), NOW)?.birthDate).toBe('2010-05-05');
    expect(readMrzLines(td3Lines({ ...HOLDER, birthDate: '1930-05-05' }), NOW)?.birthDate).toBe('1930-05-05');
  });
});
