// What the launcher's console tests look for, written down apart from the formatter so that the
// tests do not take the formatter's word for what is safe.

/** Characters a terminal may act on: C0, DEL, C1, the line/paragraph separators and the bidi controls. */
export const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** The painter's own colours: reset, bold, dim and the six colours it uses (ESC[31m … ESC[36m). */
const PAINTER_SGR = /\x1b\[(?:0|1|2|3[1-6])m/g;

export function withoutPainterColours(text: string): string {
  return text.replace(PAINTER_SGR, '');
}
