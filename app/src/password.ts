/**
 * A throwaway password for signUp: Cognito requires one, but this app never signs in with it, so it is
 * generated, sent once and forgotten. 32 characters with every character class meets any pool policy.
 */
const CLASSES = [
  'abcdefghijklmnopqrstuvwxyz',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  '0123456789',
  // Cognito's special characters (a subset safe in any policy).
  '^$*.[]{}()?-"!@#%&/\\,><\':;|_~`+=',
];
const ALL = CLASSES.join('');
export const PASSWORD_LENGTH = 32;

type RandomSource = (bytes: Uint32Array) => Uint32Array;
const cryptoRandom: RandomSource = (bytes) => globalThis.crypto.getRandomValues(bytes);

/** Uniform index in [0, size) by rejection sampling, so no character is favoured by modulo bias. */
function randomIndex(size: number, random: RandomSource): number {
  const limit = Math.floor(0x1_0000_0000 / size) * size;
  const cell = new Uint32Array(1);
  for (;;) {
    const value = random(cell)[0]!;
    if (value < limit) return value % size;
  }
}

function pick(alphabet: string, random: RandomSource): string {
  return alphabet[randomIndex(alphabet.length, random)]!;
}

export function randomPassword(random: RandomSource = cryptoRandom): string {
  const chars = CLASSES.map((alphabet) => pick(alphabet, random));
  while (chars.length < PASSWORD_LENGTH) chars.push(pick(ALL, random));
  // Fisher-Yates, so the guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomIndex(i + 1, random);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
