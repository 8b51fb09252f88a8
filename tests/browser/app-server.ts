/** Helpers shared by the browser tests: the built app, screenshots, sign-up and the email code from the dev mailbox. */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { mailboxCode } from '../../local/demo/face-login-client';

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
  const built = await stat(bundle).then(
    (info) => info.mtimeMs,
    () => undefined,
  );
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

/** From the sign-in screen: open sign-up and submit `email`. */
export async function submitSignUp(page: Page, email: string): Promise<void> {
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** On the EMAIL_CODE screen: type `code` (by default the newest one the dev mailbox holds for `email`) and go on. */
export async function enterEmailCode(page: Page, email: string, mailboxUrl: string, code?: string): Promise<void> {
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await page.getByLabel('Code from the email').fill(code ?? (await mailboxCode(mailboxUrl, email)));
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** The EMAIL_CODE screen has taken a refusal: the next challenge came with an empty field. */
export async function codeFieldCleared(page: Page): Promise<void> {
  await page.waitForFunction(() => (document.querySelector('input[name="code"]') as HTMLInputElement | null)?.value === '');
}

/** From the sign-in screen: sign `email` up and prove it with the code the sign-in sends, up to the screen after it. */
export async function signUpAndProveEmail(
  page: Page,
  email: string,
  mailboxUrl: string,
  nextHeading = 'Register your ID photo',
): Promise<void> {
  await submitSignUp(page, email);
  await enterEmailCode(page, email, mailboxUrl);
  await page.getByRole('heading', { name: nextHeading }).waitFor();
}
