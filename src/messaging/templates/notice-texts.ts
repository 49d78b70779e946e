import type { Locale } from '../../pages/locale.ts';

/** Security notices: told to the customer by e-mail, so a change they did not make stands out. */
export type NoticeKind = 'totp_added' | 'passkey_added' | 'phone_added' | 'recovery_code_used';

interface NoticeTexts {
  subject: string;
  lead: string;
  advice: string;
}

const ADVICE_EN = 'If this was not you, reset your password at once and remove what you do not recognise under Sign-in and security: {account}';
const ADVICE_SV = 'Om det inte var du: återställ ditt lösenord direkt och ta bort det du inte känner igen under Inloggning och säkerhet: {account}';

export const NOTICE_TEXTS: Record<Locale, Record<NoticeKind, NoticeTexts>> = {
  en: {
    totp_added: { subject: 'Two-step verification was turned on for your {brand} account', lead: 'An authenticator app was connected to your account.', advice: ADVICE_EN },
    passkey_added: { subject: 'A passkey was added to your {brand} account', lead: 'A passkey ({detail}) can now sign in to your account.', advice: ADVICE_EN },
    phone_added: { subject: 'A mobile number was added to your {brand} account', lead: 'The number {detail} can now sign in to your account with a code by SMS.', advice: ADVICE_EN },
    recovery_code_used: { subject: 'A recovery code was used for your {brand} account', lead: 'Someone signed in with one of your recovery codes. Codes left: {detail}.', advice: ADVICE_EN },
  },
  sv: {
    totp_added: { subject: 'Tvåstegsverifiering slogs på för ditt konto hos {brand}', lead: 'En autentiseringsapp kopplades till ditt konto.', advice: ADVICE_SV },
    passkey_added: { subject: 'En nyckel (passkey) lades till ditt konto hos {brand}', lead: 'En nyckel ({detail}) kan nu logga in på ditt konto.', advice: ADVICE_SV },
    phone_added: { subject: 'Ett mobilnummer lades till ditt konto hos {brand}', lead: 'Numret {detail} kan nu logga in på ditt konto med en kod via sms.', advice: ADVICE_SV },
    recovery_code_used: { subject: 'En reservkod användes för ditt konto hos {brand}', lead: 'Någon loggade in med en av dina reservkoder. Kvar: {detail}.', advice: ADVICE_SV },
  },
};
