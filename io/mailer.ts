import nodemailer from 'nodemailer';

/** A plain-text email to a job's recipients. */
export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

export type Mailer = (mail: Mail) => Promise<void>;

/**
 * The one way the product sends email: through the operator's SMTP server (`SMTP_URL`, a
 * setting, never a user's input), from `MAIL_FROM`. Undefined when no SMTP server is set.
 */
export function createMailer(settings: { SMTP_URL: string | undefined; MAIL_FROM: string }): Mailer | undefined {
  if (!settings.SMTP_URL) return undefined;
  const transport = nodemailer.createTransport(settings.SMTP_URL);
  return async ({ to, subject, text }) => {
    await transport.sendMail({ from: settings.MAIL_FROM, to, subject, text });
  };
}
