/** The command line of `npm run demo`: which photos to use and which stack to use. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from './stack-connection';

export const DEMO_USAGE = `usage: npm run demo -- [--id-photo PATH] [--selfie PATH] [--other-person PATH] [--other-id-photo PATH]
                        [--data-dir DIR] [--own-stack]
  --id-photo        a photo of the ID document to enroll: passport, identity card or driving licence (JPEG or PNG;
                    default samples/angelina_jolie/id-card.jpg)
  --selfie          a plain photo of the same person: first refused as an ID photo (not a document), then made into
                    the liveness video (default samples/angelina_jolie/selfie.jpg)
  --other-person    a photo of someone else, for the refused sign-in (default samples/jennifer_aniston/selfie.jpg)
  --other-id-photo  a photo of that other person's ID document, with which they enroll, replace it and delete their
                    account (default samples/jennifer_aniston/id-card.jpg)
  --data-dir      where a running \`npm start\` keeps stack-outputs.json (default .local-data)
  --own-stack     do not look for a running stack: start one in a temporary folder and stop it afterwards`;

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

export interface DemoArguments {
  idPhoto: string;
  selfie: string;
  otherPerson: string;
  otherIdPhoto: string;
  dataDir: string;
  ownStack: boolean;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

function existingFile(path: string, flag: string): string {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError(`--${flag}: ${absolute} does not exist`);
  if (!statSync(absolute).isFile()) throw new UsageError(`--${flag}: ${absolute} is not a file`);
  return absolute;
}

export function parseDemoArguments(argv: string[]): DemoArguments {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'id-photo': { type: 'string' },
        selfie: { type: 'string' },
        'other-person': { type: 'string' },
        'other-id-photo': { type: 'string' },
        'data-dir': { type: 'string' },
        'own-stack': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const idPhoto = existingFile(values['id-photo'] ?? `${SAMPLES}angelina_jolie/id-card.jpg`, 'id-photo');
  const selfie = existingFile(values.selfie ?? `${SAMPLES}angelina_jolie/selfie.jpg`, 'selfie');
  const otherPerson = existingFile(values['other-person'] ?? `${SAMPLES}jennifer_aniston/selfie.jpg`, 'other-person');
  const otherIdPhoto = existingFile(values['other-id-photo'] ?? `${SAMPLES}jennifer_aniston/id-card.jpg`, 'other-id-photo');
  if (otherPerson === selfie) throw new UsageError('--other-person must be a different photo (of a different person) than --selfie');
  return {
    idPhoto,
    selfie,
    otherPerson,
    otherIdPhoto,
    dataDir: resolve(values['data-dir'] ?? DEFAULT_DATA_DIR),
    ownStack: values['own-stack'],
    help: values.help,
  };
}
