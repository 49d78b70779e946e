import type { Locale } from '../../i18n/locale.ts';

/** Notices told to the customer by e-mail: security changes (so one they did not make stands out), and a finished data export. */
export type NoticeKind = 'totp_added' | 'passkey_added' | 'phone_added' | 'email_changed' | 'identity_linked' | 'recovery_code_used' | 'export_ready';

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
    email_changed: {
      subject: 'The e-mail address of your {brand} account was changed',
      lead: 'Your account now uses {detail}. This address no longer signs in, and every device was signed out.',
      advice: 'If this was not you, contact customer service at once: they can restore your address.',
    },
    identity_linked: { subject: 'An account elsewhere was connected to your {brand} account', lead: 'Your {detail} account can now sign in to your account.', advice: ADVICE_EN },
    recovery_code_used: { subject: 'A recovery code was used for your {brand} account', lead: 'Someone signed in with one of your recovery codes. Codes left: {detail}.', advice: ADVICE_EN },
    export_ready: {
      subject: 'Your data from {brand} is ready',
      lead: 'Everything we hold about you, from every system, is in one file. Download it here, signed in to your account: {detail} The link works once, for seven days.',
      advice: 'If you did not ask for this, reset your password at once and check Sign-in and security: {account}',
    },
  },
  sv: {
    totp_added: { subject: 'Tvåstegsverifiering slogs på för ditt konto hos {brand}', lead: 'En autentiseringsapp kopplades till ditt konto.', advice: ADVICE_SV },
    passkey_added: { subject: 'En nyckel (passkey) lades till ditt konto hos {brand}', lead: 'En nyckel ({detail}) kan nu logga in på ditt konto.', advice: ADVICE_SV },
    phone_added: { subject: 'Ett mobilnummer lades till ditt konto hos {brand}', lead: 'Numret {detail} kan nu logga in på ditt konto med en kod via sms.', advice: ADVICE_SV },
    email_changed: {
      subject: 'E-postadressen för ditt konto hos {brand} ändrades',
      lead: 'Ditt konto använder nu {detail}. Den här adressen loggar inte längre in, och alla enheter loggades ut.',
      advice: 'Om det inte var du: kontakta kundtjänst direkt, så kan de återställa din adress.',
    },
    identity_linked: { subject: 'Ett konto hos en annan tjänst kopplades till ditt konto hos {brand}', lead: 'Ditt konto hos {detail} kan nu logga in på ditt konto.', advice: ADVICE_SV },
    recovery_code_used: { subject: 'En reservkod användes för ditt konto hos {brand}', lead: 'Någon loggade in med en av dina reservkoder. Kvar: {detail}.', advice: ADVICE_SV },
    export_ready: {
      subject: 'Dina uppgifter från {brand} är klara',
      lead: 'Allt vi har om dig, från alla system, finns i en fil. Hämta den här, inloggad på ditt konto: {detail} Länken fungerar en gång, i sju dagar.',
      advice: 'Om det inte var du som bad om detta: återställ ditt lösenord direkt och se över Inloggning och säkerhet: {account}',
    },
  },
};
