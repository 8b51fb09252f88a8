/** One request from a screen: busy while it runs, and its refusal as an error notice. */
import { useState } from 'react';
import type { Notice } from './Screen';

export function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>();

  async function run(action: () => Promise<void>, describeError: (error: unknown) => string): Promise<void> {
    setBusy(true);
    setNotice(undefined);
    try {
      await action();
    } catch (error) {
      setNotice({ tone: 'error', text: describeError(error) });
    } finally {
      setBusy(false);
    }
  }

  return { busy, notice, setNotice, run };
}
