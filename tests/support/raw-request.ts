/**
 * A request written byte for byte, for request lines no HTTP client sends (`GET //:99999 HTTP/1.1`): over TCP, or
 * TLS for an https: or wss: endpoint. The answer is read until the server closes the connection.
 */
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface RawAnswer {
  status: number;
  /** The answer's headers, by lower-case name. */
  headers: Record<string, string>;
  body: string;
}

/** Sends `requestLine` with a Host header, `Connection: close` and `headers` (which override them), and no body. */
export function rawRequest(
  endpoint: string,
  requestLine: string,
  options: { headers?: Record<string, string>; ca?: string } = {},
): Promise<RawAnswer> {
  const { hostname, port, host, protocol } = new URL(endpoint);
  const secure = protocol === 'https:' || protocol === 'wss:';
  const socket = secure
    ? connectTls({ host: hostname, port: Number(port), ...(options.ca ? { ca: options.ca } : {}), servername: 'localhost' })
    : connectTcp({ host: hostname, port: Number(port) });
  const headers = Object.entries({ host, connection: 'close', ...options.headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`${requestLine}\r\n${headers.join('')}\r\n`);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...body] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
      const answerHeaders = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status, headers: answerHeaders, body: body.join('\r\n\r\n') });
    });
  });
}
