import { jest } from '@jest/globals';
import { PageReadings } from '../../local/textract/page-readings';

const PAGE = Buffer.from('the same page');

/** A reading the test finishes when it wants, counting how often the page was really read. */
function controlledReading() {
  let finish: (text: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const read = jest.fn(
    () =>
      new Promise<string>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      }),
  );
  return { read, finish: (text: string) => finish(text), fail: (error: Error) => fail(error) };
}

describe('the local AnalyzeID page readings', () => {
  test('a second request for the same bytes joins the reading in progress', async () => {
    const readings = new PageReadings<string>();
    const reading = controlledReading();
    const first = readings.read(PAGE, reading.read);
    const second = readings.read(Buffer.from(PAGE), reading.read);
    reading.finish('PASSPORT');
    await expect(Promise.all([first, second])).resolves.toEqual(['PASSPORT', 'PASSPORT']);
    expect(reading.read).toHaveBeenCalledTimes(1);
  });

  test('a finished reading answers the same bytes again until it expires', async () => {
    let now = 0;
    const readings = new PageReadings<string>(60_000, 64, () => now);
    const reading = controlledReading();
    const first = readings.read(PAGE, reading.read);
    reading.finish('PASSPORT');
    await first;
    now = 59_999;
    await expect(readings.read(PAGE, reading.read)).resolves.toBe('PASSPORT');
    expect(reading.read).toHaveBeenCalledTimes(1);
    now = 60_000;
    void readings.read(PAGE, reading.read);
    expect(reading.read).toHaveBeenCalledTimes(2);
  });

  test('other bytes are read on their own', async () => {
    const readings = new PageReadings<string>();
    const reading = controlledReading();
    void readings.read(PAGE, reading.read);
    void readings.read(Buffer.from('another page'), reading.read);
    expect(reading.read).toHaveBeenCalledTimes(2);
  });

  test('a failed reading is not kept: the next request reads again', async () => {
    const readings = new PageReadings<string>();
    const reading = controlledReading();
    const first = readings.read(PAGE, reading.read);
    reading.fail(new Error('OCR worker died'));
    await expect(first).rejects.toThrow('OCR worker died');
    void readings.read(PAGE, reading.read);
    expect(reading.read).toHaveBeenCalledTimes(2);
  });

  test('keeps at most the newest readings, dropping the oldest', async () => {
    const readings = new PageReadings<string>(60_000, 2);
    const pages = ['a', 'b', 'c'].map((text) => Buffer.from(text));
    for (const page of pages) await readings.read(page, async () => page.toString());
    const again = jest.fn(async () => 'read again');
    await expect(readings.read(pages[2]!, again)).resolves.toBe('c');
    await expect(readings.read(pages[1]!, again)).resolves.toBe('b');
    await expect(readings.read(pages[0]!, again)).resolves.toBe('read again');
    expect(again).toHaveBeenCalledTimes(1);
  });
});
