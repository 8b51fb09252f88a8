/**
 * One step of the flow: a titled card. Its heading takes focus when the step appears and a new notice takes
 * focus when it is shown, so keyboard and screen-reader users land where the change happened.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { Alert, Card, Flex } from '@aws-amplify/ui-react';

export interface Notice {
  tone: 'error' | 'info' | 'success' | 'warning';
  text: string;
}

export function Screen({ title, notice, children }: { title: string; notice?: Notice; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const alert = useRef<HTMLDivElement>(null);
  const shown = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new title is a new screen, whose heading takes focus
  useEffect(() => heading.current?.focus(), [title]);
  useEffect(() => {
    // On arrival the heading has focus; later notices (a refusal after a submit) take it.
    if (shown.current && notice) alert.current?.focus();
    shown.current = true;
  }, [notice]);

  return (
    <Card variation="elevated" className="screen" as="section" aria-labelledby="screen-title">
      <Flex direction="column" gap="medium">
        <h1 id="screen-title" ref={heading} tabIndex={-1} className="screen-title">
          {title}
        </h1>
        {notice && (
          <Alert
            ref={alert}
            tabIndex={-1}
            variation={notice.tone}
            role={notice.tone === 'error' ? 'alert' : 'status'}
            data-testid="notice"
            className="notice"
          >
            {notice.text}
          </Alert>
        )}
        {children}
      </Flex>
    </Card>
  );
}
