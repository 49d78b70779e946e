import type { Locale } from '../../i18n/locale.ts';

/** What a message is for; each kind has a subject and body per locale. */
export type MessageKind = 'sign_up_code' | 'sign_in_code' | 'verify_email' | 'change_email' | 'password_reset' | 'phone_code' | 'caller_code';

interface Texts {
  subject: string;
  lead: string;
  codeLabel: string;
  linkLabel?: string;
  expiry: string;
  ignore: string;
}

/**
 * Message texts per locale. `{brand}` is the brand the customer is using, `{minutes}` the code's
 * lifetime. A brand may override any text (brand themes arrive with the brands issue).
 */
export const MESSAGE_TEXTS: Record<Locale, Record<MessageKind, Texts>> = {
  en: {
    sign_up_code: {
      subject: 'Your code to create your {brand} account',
      lead: 'Enter this code to confirm your e-mail address and finish creating your account.',
      codeLabel: 'Your code',
      linkLabel: 'Or continue with this link',
      expiry: 'The code works once, for {minutes} minutes.',
      ignore: 'If you did not ask for this, ignore this e-mail: nothing happens without the code.',
    },
    sign_in_code: {
      subject: 'Your {brand} sign-in code',
      lead: 'Enter this code to sign in. You already have an account with this address.',
      codeLabel: 'Your code',
      linkLabel: 'Or sign in with this link',
      expiry: 'The code works once, for {minutes} minutes.',
      ignore: 'If you did not try to sign in, ignore this e-mail: nobody can sign in without the code.',
    },
    verify_email: {
      subject: 'Confirm your e-mail address for {brand}',
      lead: 'Enter this code, or open the link, to confirm that this address is yours.',
      codeLabel: 'Your code',
      linkLabel: 'Confirm with this link',
      expiry: 'The code works once, for {minutes} minutes.',
      ignore: 'If you did not ask for this, ignore this e-mail.',
    },
    password_reset: {
      subject: 'Reset your {brand} password',
      lead: 'Someone (hopefully you) asked to reset the password of your account. Enter this code to choose a new one.',
      codeLabel: 'Your code',
      linkLabel: 'Or continue with this link',
      expiry: 'The code works once, for {minutes} minutes. Resetting signs you out everywhere.',
      ignore: 'If you did not ask for this, ignore this e-mail: your password stays as it is.',
    },
    change_email: {
      subject: 'Confirm your new e-mail address for {brand}',
      lead: 'Enter this code on the account page to move your account to this address.',
      codeLabel: 'Your code',
      expiry: 'The code works once, for {minutes} minutes.',
      ignore: 'If you did not ask for this, ignore this e-mail: nothing changes.',
    },
    phone_code: {
      subject: '{brand} code',
      lead: '{code} is your {brand} code.',
      codeLabel: 'Code',
      expiry: 'Valid for {minutes} minutes.',
      ignore: '',
    },
    caller_code: {
      subject: '{brand} customer service: your code is {code}',
      lead: 'You are talking to {brand} customer service, who ask you to confirm it is you. Read this code to them: {code}',
      codeLabel: 'Code',
      expiry: 'Valid for {minutes} minutes.',
      ignore: 'Only give it on a call you are having with us now; we never call to ask for it out of the blue.',
    },
  },
  sv: {
    sign_up_code: {
      subject: 'Din kod för att skapa ditt konto hos {brand}',
      lead: 'Ange koden för att bekräfta din e-postadress och slutföra ditt konto.',
      codeLabel: 'Din kod',
      linkLabel: 'Eller fortsätt med den här länken',
      expiry: 'Koden fungerar en gång, i {minutes} minuter.',
      ignore: 'Om du inte bad om detta kan du strunta i mejlet: inget händer utan koden.',
    },
    sign_in_code: {
      subject: 'Din inloggningskod för {brand}',
      lead: 'Ange koden för att logga in. Du har redan ett konto med den här adressen.',
      codeLabel: 'Din kod',
      linkLabel: 'Eller logga in med den här länken',
      expiry: 'Koden fungerar en gång, i {minutes} minuter.',
      ignore: 'Om du inte försökte logga in kan du strunta i mejlet: ingen kan logga in utan koden.',
    },
    verify_email: {
      subject: 'Bekräfta din e-postadress hos {brand}',
      lead: 'Ange koden, eller öppna länken, för att bekräfta att adressen är din.',
      codeLabel: 'Din kod',
      linkLabel: 'Bekräfta med den här länken',
      expiry: 'Koden fungerar en gång, i {minutes} minuter.',
      ignore: 'Om du inte bad om detta kan du strunta i mejlet.',
    },
    password_reset: {
      subject: 'Återställ ditt lösenord hos {brand}',
      lead: 'Någon (förhoppningsvis du) bad om att återställa lösenordet till ditt konto. Ange koden för att välja ett nytt.',
      codeLabel: 'Din kod',
      linkLabel: 'Eller fortsätt med den här länken',
      expiry: 'Koden fungerar en gång, i {minutes} minuter. När du återställer loggas du ut överallt.',
      ignore: 'Om du inte bad om detta kan du strunta i mejlet: ditt lösenord är oförändrat.',
    },
    change_email: {
      subject: 'Bekräfta din nya e-postadress hos {brand}',
      lead: 'Ange koden på kontosidan för att flytta ditt konto till den här adressen.',
      codeLabel: 'Din kod',
      expiry: 'Koden fungerar en gång, i {minutes} minuter.',
      ignore: 'Om du inte bad om detta kan du strunta i mejlet: ingenting ändras.',
    },
    phone_code: {
      subject: '{brand}-kod',
      lead: '{code} är din kod hos {brand}.',
      codeLabel: 'Kod',
      expiry: 'Giltig i {minutes} minuter.',
      ignore: '',
    },
    caller_code: {
      subject: '{brand} kundtjänst: din kod är {code}',
      lead: 'Du pratar med kundtjänst hos {brand}, som ber dig bekräfta att det är du. Läs upp den här koden för dem: {code}',
      codeLabel: 'Kod',
      expiry: 'Giltig i {minutes} minuter.',
      ignore: 'Lämna den bara i ett samtal du har med oss just nu; vi ringer aldrig oväntat och ber om den.',
    },
  },
};
