/**
 * npm run bench:enumeration [-- --rounds 40]
 *
 * Can a stranger tell an enrolled user from an email that has no account by how long InitiateAuth takes? Starts the
 * local stack, enrolls one user (sign-up, the email code, an ID photo, a confirmed live match), then times
 * InitiateAuth (define + create: both must issue a liveness session) for that user and for unknown emails,
 * interleaved round by round so that both see the same load. Prints the medians, p95s and their ratio; the target
 * is a median ratio within 1.2 (either way). Exits 1 when it misses, or when the two challenges differ in shape.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FaceLoginClient, type SignInStep } from '../local/demo/face-login-client';
import { startOwnStack } from '../local/demo/stack-connection';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '40' } } });
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 5) throw new Error('--rounds must be a whole number of at least 5');
const TARGET_RATIO = 1.2;
const WARMUP_ROUNDS = 5;

const sample = (photo: string) => readFileSync(new URL(`../samples/george_clooney/${photo}.jpg`, import.meta.url));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

const shape = (step: SignInStep) => `${step.step}:${Object.keys(step.parameters).sort().join(',')}`;

const stack = await startOwnStack();
const client = new FaceLoginClient(stack.outputs);
let failed = false;
try {
  const email = `enumeration-${randomBytes(4).toString('hex')}@example.com`;
  await client.signUp(email);
  const idPhoto = sample('id-card');
  const selfie = sample('selfie');
  const enrolled = await client.signIn(email, {
    idPhoto,
    video: { kind: 'moving-closer', photo: selfie, face: await client.faceOf(selfie, 'the selfie') },
  });
  if (enrolled.outcome !== 'tokens') throw new Error(`the enrolled user's first sign-in ended ${enrolled.outcome}`);

  const timings = { enrolled: [] as number[], unknown: [] as number[] };
  const shapes = new Set<string>();
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round += 1) {
    // Alternate which goes first, so neither always meets a warmer container.
    const order = round % 2 === 0 ? (['enrolled', 'unknown'] as const) : (['unknown', 'enrolled'] as const);
    for (const who of order) {
      const name = who === 'enrolled' ? email : `nobody-${randomBytes(6).toString('hex')}@example.com`;
      const started = performance.now();
      const step = await client.initiate(name);
      const elapsed = performance.now() - started;
      shapes.add(shape(step));
      if (round >= WARMUP_ROUNDS) timings[who].push(elapsed);
    }
  }

  const rows = (['enrolled', 'unknown'] as const).map((who) => ({
    who,
    p50: percentile(timings[who], 50),
    p95: percentile(timings[who], 95),
  }));
  const ratio = rows[1]!.p50 / rows[0]!.p50;
  console.log(`\nInitiateAuth (define + create, a liveness session each), ${rounds} rounds after ${WARMUP_ROUNDS} warm-up rounds:\n`);
  console.log('| email | p50 (ms) | p95 (ms) |');
  console.log('|---|---|---|');
  for (const row of rows)
    console.log(
      `| ${row.who === 'enrolled' ? 'enrolled user' : 'unknown (a new one each round)'} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`,
    );
  console.log(`\nmedian ratio unknown / enrolled: ${ratio.toFixed(3)} (target within ${TARGET_RATIO} either way)`);
  console.log(`challenge shapes seen: ${[...shapes].join(' | ')}`);
  if (shapes.size !== 1) {
    console.log('MISSED: the two kinds of email got challenges of different shapes');
    failed = true;
  }
  if (ratio > TARGET_RATIO || ratio < 1 / TARGET_RATIO) {
    console.log('MISSED: the median ratio is outside the target');
    failed = true;
  }
} finally {
  client.destroy();
  await stack.stop();
}
process.exit(failed ? 1 : 0);
