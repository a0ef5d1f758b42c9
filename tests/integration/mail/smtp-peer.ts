import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SmtpPeer {
  port: number;
  /** smtp://user:pass@127.0.0.1:<port> */
  url: string;
  messages: (ParsedMail & { envelopeTo: string[] })[];
  /** Stops listening (connections are refused) and resolves when closed. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback, port 0 (the port it got is reported). Requires AUTH with
 * user/pass; recipients listed in `reject` get a permanent 550 at RCPT TO.
 */
export async function startSmtpPeer(opts: { reject?: string[]; secure?: boolean } = {}): Promise<SmtpPeer> {
  const messages: SmtpPeer['messages'] = [];
  const reject = new Set((opts.reject ?? []).map((a) => a.toLowerCase()));
  const options: SMTPServerOptions = {
    secure: opts.secure ?? false,
    // Plain SMTP on loopback only for tests; STARTTLS would need a certificate the client trusts.
    ...(opts.secure ? {} : { disabledCommands: ['STARTTLS'], allowInsecureAuth: true }),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'mailer' && auth.password === 'secret') return cb(null, { user: 'mailer' });
      return cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      if (reject.has(address.address.toLowerCase())) {
        const err = new Error('5.1.1 No such user here') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push(Object.assign(parsed, { envelopeTo: session.envelope.rcptTo.map((r) => r.address) }));
          cb();
        })
        .catch(cb);
    },
  };
  let server = new SMTPServer(options);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  let isUp = true;
  return {
    port,
    url: `${opts.secure ? 'smtps' : 'smtp'}://mailer:secret@127.0.0.1:${port}`,
    messages,
    async down() {
      if (!isUp) return;
      isUp = false;
      await close();
    },
    async up() {
      if (isUp) return;
      server = new SMTPServer(options);
      await listen(port);
      isUp = true;
    },
    async close() {
      if (isUp) await close();
      isUp = false;
    },
  };
}
