// An amount as CRMs display it ("$120,000.00", "USD 120,000.00", "€95.000,00",
// "95 000,00 EUR", "£40K", "$1.2M") read into a number and an ISO 4217 currency code.

export interface Money {
  amount?: number;
  currency?: string;
}

// Longest symbols first, so "CA$" wins over "$".
const SYMBOLS: readonly [string, string][] = [
  ["CA$", "CAD"],
  ["C$", "CAD"],
  ["A$", "AUD"],
  ["AU$", "AUD"],
  ["NZ$", "NZD"],
  ["US$", "USD"],
  ["R$", "BRL"],
  ["CHF", "CHF"],
  ["$", "USD"],
  ["€", "EUR"],
  ["£", "GBP"],
  ["¥", "JPY"],
  ["₹", "INR"],
  ["kr", "SEK"],
];

const MULTIPLIERS: Record<string, number> = { k: 1e3, m: 1e6, mm: 1e6, b: 1e9, bn: 1e9 };

/** The amount and currency in `text`; either is left out when the text does not show it. */
export function parseMoney(text: string | undefined): Money {
  if (!text) return {};
  const money: Money = {};
  const code = /(?:^|[^A-Za-z])([A-Z]{3})(?![A-Za-z])/.exec(text);
  if (code?.[1] && code[1] !== "CHF") money.currency = code[1];
  else {
    const symbol = SYMBOLS.find(([sign]) => text.includes(sign));
    if (symbol) money.currency = symbol[1];
  }
  const number = /(-?\d[\d.,\s\u00a0\u202f']*)\s*(k|m|mm|b|bn)?(?![a-z])/i.exec(text);
  if (number?.[1]) {
    const value = parseNumber(number[1].trim());
    const multiplier = MULTIPLIERS[(number[2] ?? "").toLowerCase()] ?? 1;
    if (value !== undefined) money.amount = Math.round(value * multiplier * 100) / 100;
  }
  return money;
}

/** "120,000.00" / "120.000,00" / "120 000" / "1.5" as a number: the last separator is the
 * decimal one when it is followed by other than three digits or both kinds appear. */
export function parseNumber(raw: string): number | undefined {
  let digits = raw.replace(/[\s\u00a0\u202f']/g, "");
  const negative = digits.startsWith("-");
  digits = digits.replace(/^-/, "").replace(/[.,]+$/, "");
  if (!/^\d[\d.,]*$/.test(digits)) return undefined;
  const last = Math.max(digits.lastIndexOf("."), digits.lastIndexOf(","));
  if (last >= 0) {
    const separator = digits.charAt(last);
    const both = digits.includes(".") && digits.includes(",");
    const repeated = digits.indexOf(separator) !== last;
    const after = digits.length - last - 1;
    const decimal = both || (!repeated && after !== 3);
    digits = decimal
      ? digits.slice(0, last).replace(/[.,]/g, "") + "." + digits.slice(last + 1)
      : digits.replace(/[.,]/g, "");
  }
  const value = Number(digits);
  if (!Number.isFinite(value)) return undefined;
  return negative ? -value : value;
}
