/** The one-field form every account step uses: a labelled input and a submit button that shows progress. */
import type { FormEvent } from 'react';
import { Button, Flex, TextField } from '@aws-amplify/ui-react';

export interface FieldKind {
  label: string;
  name: string;
  type: 'email' | 'text';
  autoComplete: string;
  inputMode: 'email' | 'numeric';
}

export const EMAIL_FIELD: FieldKind = { label: 'Email', name: 'email', type: 'email', autoComplete: 'username', inputMode: 'email' };
export const CODE_FIELD: FieldKind = {
  label: 'Code from the email',
  name: 'code',
  type: 'text',
  autoComplete: 'one-time-code',
  inputMode: 'numeric',
};

export interface OneFieldFormProps {
  field: FieldKind;
  value: string;
  onChange: (value: string) => void;
  /** The button's label, and its label while the request runs. */
  submit: [label: string, busyLabel: string];
  busy: boolean;
  onSubmit: () => void;
}

export function OneFieldForm({ field, value, onChange, submit: [label, busyLabel], busy, onSubmit }: OneFieldFormProps) {
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }
  return (
    <form onSubmit={submit}>
      <Flex direction="column" gap="medium">
        <TextField {...field} isRequired value={value} onChange={(event) => onChange(event.target.value)} />
        <Button type="submit" variation="primary" isLoading={busy} loadingText={busyLabel}>
          {label}
        </Button>
      </Flex>
    </form>
  );
}
