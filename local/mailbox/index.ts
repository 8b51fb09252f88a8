/**
 * The dev mailbox: where the local stack "sends" email. Each message is printed to the console in one line
 * (so a developer sees the code at once) and kept in memory, newest last, for `GET /mailbox[/<email>]`.
 */
export interface MailMessage {
  id: number;
  to: string;
  subject: string;
  body: string;
  /** The one-time code the message carries, so tools need not parse the body. */
  code: string;
  sentAt: string;
}

export interface Mailbox {
  deliver(message: Omit<MailMessage, 'id' | 'sentAt'>): MailMessage;
  all(): MailMessage[];
  /** Messages to one address, compared case-insensitively as email addresses are in practice. */
  to(address: string): MailMessage[];
}

export function createMailbox(printLine: (line: string) => void = (line) => console.log(line)): Mailbox {
  const messages: MailMessage[] = [];
  return {
    deliver(message) {
      const stored: MailMessage = { id: messages.length + 1, sentAt: new Date().toISOString(), ...message };
      messages.push(stored);
      printLine(`[mailbox] to=${stored.to} subject="${stored.subject}" code=${stored.code}`);
      return stored;
    },
    all: () => [...messages],
    // A message is matched only by a recipient it really has: a malformed one must not break everyone's view.
    to: (address) => messages.filter((m) => typeof m.to === 'string' && m.to.toLowerCase() === address.toLowerCase()),
  };
}
