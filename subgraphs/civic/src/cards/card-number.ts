import { randomInt } from 'node:crypto';

/**
 * Card numbers are not guessable (docs/domain/04-civic-cards.md): the city prefix, 11 random digits from a
 * cryptographic source and a Luhn check digit, 16 digits in all. With ten million cards in a
 * space of 10^11 a guessed number names a card about once in ten thousand tries.
 */
const PREFIX = '4419';
const RANDOM_DIGITS = 11;

/** The Luhn check digit of a string of digits. */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function newCardNumber(): string {
  const body = PREFIX + String(randomInt(0, 10 ** RANDOM_DIGITS)).padStart(RANDOM_DIGITS, '0');
  return body + luhnCheckDigit(body);
}

/** True for a number of the current format with a correct check digit. */
export function isCardNumber(s: string): boolean {
  return /^4419[0-9]{12}$/.test(s) && luhnCheckDigit(s.slice(0, -1)) === s.slice(-1);
}
