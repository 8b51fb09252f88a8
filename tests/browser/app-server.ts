/** Helpers shared by the browser tests: the built app, screenshots, the dev mailbox. */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_DIR = join(ROOT, 'dist', 'app');
export const ARTIFACT_DIR = join(ROOT, 'test-artifacts', 'browser');

async function newestChange(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** The tests exercise the built bundle, so it must exist and be newer than the app's sources. */
export async function requireBuiltApp(): Promise<void> {
  const bundle = join(DIST_DIR, 'assets', 'main.js');
  const built = await stat(bundle).then((info) => info.mtimeMs, () => undefined);
  if (built === undefined) throw new Error(`${bundle} is missing: run \`npm run build:app\` before the browser tests`);
  if ((await newestChange(join(ROOT, 'app'))) > built) {
    throw new Error(`${bundle} is older than the sources in app/: run \`npm run build:app\` before the browser tests`);
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACT_DIR, { recursive: true });
  const path = join(ARTIFACT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The newest confirmation code the dev mailbox holds for `email`. */
export async function latestCode(mailboxUrl: string, email: string): Promise<string> {
  const response = await fetch(`${mailboxUrl}/${encodeURIComponent(email)}`);
  if (!response.ok) throw new Error(`mailbox answered HTTP ${response.status}`);
  const { messages } = (await response.json()) as { messages: { code: string }[] };
  const code = messages.at(-1)?.code;
  if (!code) throw new Error(`the mailbox holds no message for ${email}`);
  return code;
}

/** From the sign-in screen: open sign-up and submit `email`. */
export async function submitSignUp(page: Page, email: string): Promise<void> {
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** From the sign-in screen: sign `email` up and confirm it with the code from the dev mailbox. */
export async function signUpAndConfirm(page: Page, email: string, mailboxUrl: string): Promise<void> {
  await submitSignUp(page, email);
  await page.getByRole('heading', { name: 'Confirm your email' }).waitFor();
  await page.getByLabel('Confirmation code').fill(await latestCode(mailboxUrl, email));
  await page.getByRole('button', { name: 'Confirm email' }).click();
  await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
}
