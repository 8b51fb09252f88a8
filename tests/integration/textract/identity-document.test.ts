/** How the local AnalyzeID finds printed dates by their labels (local/textract/identity-document.ts), without OCR. */
import { identityDocumentFields } from '../../../local/textract/identity-document';
import type { TextLine } from '../../../local/textract/text-reader';

const line = (text: string, left: number, top: number, width: number, height = 20): TextLine => ({
  text,
  confidence: 90,
  box: { left, top, width, height },
});

function dates(lines: TextLine[]) {
  const fields = identityDocumentFields({ lines }) as { Type: { Text: string }; ValueDetection: { NormalizedValue?: { Value: string } } }[];
  return Object.fromEntries(
    fields
      .filter((field) => field.ValueDetection.NormalizedValue)
      .map((field) => [field.Type.Text, field.ValueDetection.NormalizedValue?.Value]),
  );
}

describe('printed dates read by their labels', () => {
  test("reads an EU driving licence's issue and expiry dates after their field numbers 4a and 4b", () => {
    expect(dates([line('4a.', 360, 378, 19, 12), line('20.12.2025', 403, 371, 159), line('4b. 20.12.2035', 646, 370, 202)])).toEqual({
      DATE_OF_ISSUE: '2025-12-20T00:00:00',
      EXPIRATION_DATE: '2035-12-20T00:00:00',
    });
  });

  test('reads each date printed under its label, labels side by side', () => {
    const lines = [line('Date of issue', 340, 380, 120, 14), line('Date of expiry', 640, 380, 125, 14), line('07.08.2025', 340, 400, 150)];
    expect(dates([...lines, line('07.08.2035', 640, 400, 150)])).toEqual({
      DATE_OF_ISSUE: '2025-08-07T00:00:00',
      EXPIRATION_DATE: '2035-08-07T00:00:00',
    });
  });

  test('takes no date that is far below its label', () => {
    expect(dates([line('Date of expiry', 640, 380, 125, 14), line('07.08.2035', 640, 480, 150)])).toEqual({});
  });
});
