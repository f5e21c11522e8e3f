/** Masks a phone number for logs and views: country code and last two digits stay. */
export function maskPhone(number: string | undefined): string {
  if (!number) return '';
  const digits = number.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '***';
  const prefix = digits.startsWith('+') ? digits.slice(0, 2) : '';
  return `${prefix}${'*'.repeat(Math.max(3, digits.length - prefix.length - 2))}${digits.slice(-2)}`;
}
