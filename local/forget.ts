/**
 * `npm run forget -- --email <address>`: an administrator purges one user (every face, photo and record, then the
 * Cognito user) and reads the counts. It runs the functions' own deletion routine (functions/lib/account-deletion.ts)
 * with the caller's clients:
 *   - by default against the running local stack (`--data-dir DIR` names its data folder, as `npm start` takes it);
 *   - with `--stack <name>` against a deployed stack, with the caller's AWS credentials and the stack's outputs.
 */
import { parseArgs } from 'node:util';
import { deployedAccountTargets, destroyTargets, forgetUser, localAccountTargets, UnknownUserError } from './account-targets';
import { DEFAULT_DATA_DIR, detectRunningStack } from './demo/stack-connection';

const USAGE = 'usage: npm run forget -- --email <address> [--data-dir DIR | --stack <name> [--region <region>]]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { email?: string; 'data-dir'?: string; stack?: string; region?: string };
  try {
    ({ values } = parseArgs({
      options: { email: { type: 'string' }, 'data-dir': { type: 'string' }, stack: { type: 'string' }, region: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const email = values.email?.trim().toLowerCase();
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('--email must be the address the user signed up with');
  if (values.stack && values['data-dir']) fail('--stack and --data-dir name two different stacks: give one');
  let targets;
  if (values.stack) {
    targets = await deployedAccountTargets(values.stack, values.region);
  } else {
    const detection = await detectRunningStack(values['data-dir'] ?? DEFAULT_DATA_DIR);
    if (!detection.running)
      fail(`no local stack is running: ${detection.why}. Start it with npm start, or name a deployed one with --stack.`);
    targets = localAccountTargets(detection.outputs);
  }
  try {
    const deleted = await forgetUser(targets, email);
    console.log(`Forgot ${email} (sub ${deleted.sub}) in pool ${targets.userPoolId}:`);
    console.log(`  faces deleted from ${targets.collectionId}: ${deleted.faces}`);
    console.log(`  objects deleted from ${targets.bucketName}: ${deleted.objects}`);
    console.log(`  items deleted from ${targets.tableName}: ${deleted.items}`);
    console.log(`  Cognito user deleted: ${deleted.user ? 'yes' : 'no (it was gone already)'}`);
  } catch (error) {
    if (!(error instanceof UnknownUserError)) throw error;
    console.error(`${error.message} If it was deleted already, SweepDeletedUsersFunction removes what it left.`);
    process.exitCode = 1;
  } finally {
    destroyTargets(targets);
  }
}

main().catch((error: Error) => {
  console.error(`forget failed: ${error.name}: ${error.message}. Nothing is left half-done that a second run does not finish.`);
  process.exit(1);
});
