/**
 * fio's arithmetic in option values: "anywhere a numeric value is required, an arithmetic
 * expression may be used, provided it is surrounded by parentheses" (fio's HOWTO, "Parameter
 * types"); parse.c's str_to_decimal hands a value starting with `(` to the expression parser, and a
 * job file may write it `$(…)` as well. Operators: + - * / % ^ (power) and unary minus, with the
 * usual precedence, ^ binding right to left. Numbers may carry units: size suffixes (k, m, g, t, p,
 * optionally followed by b or ib, read with the job's kb_base) for sizes, and time suffixes (us,
 * ms, s, m, h, d and their long forms) for times, where a bare number in an expression is in
 * microseconds — unlike a bare time outside an expression, which is in the option's own unit.
 * Integers stay integers (division truncates, as C's long long does) until a decimal literal
 * appears; the value fio stores is truncated to an integer.
 */

export type FioExpressionUnits = 'size' | 'time' | 'none';

export class FioExpressionError extends Error {}

const TIME_US: Record<string, number> = { us: 1, usec: 1, ms: 1e3, msec: 1e3, s: 1e6, sec: 1e6, m: 60e6, min: 60e6, h: 3600e6, hour: 3600e6, d: 86400e6, day: 86400e6 };

function sizeFactor(suffix: string, kbBase: 1000 | 1024): number | undefined {
  if (suffix === '' || suffix === 'b') return 1;
  const exp = 'kmgtp'.indexOf(suffix[0]) + 1;
  if (exp === 0) return undefined;
  const rest = suffix.slice(1);
  if (rest === '' || rest === 'b') return kbBase ** exp;
  if (rest === 'ib') return (kbBase === 1024 ? 1000 : 1024) ** exp;
  return undefined;
}

/** True when the value is written as an expression: `(…)` or `$(…)`. */
export function isFioExpression(text: string): boolean {
  const t = text.trim();
  return t.startsWith('(') || t.startsWith('$(');
}

/**
 * Evaluates an expression. Sizes come out in bytes, times in microseconds, plain numbers as
 * written; the result is truncated toward zero.
 */
export function evaluateFioExpression(text: string, units: FioExpressionUnits, kbBase: 1000 | 1024 = 1024): number {
  let source = text.trim();
  if (source.startsWith('$(')) source = source.slice(1);
  let pos = 0;
  const fail = (what: string): never => {
    throw new FioExpressionError(`${what} at character ${pos + 1} of ${JSON.stringify(text.trim())}`);
  };
  const skip = (): void => {
    while (pos < source.length && (source[pos] === ' ' || source[pos] === '\t')) pos++;
  };
  interface Value {
    v: number;
    integer: boolean;
  }
  const primary = (): Value => {
    skip();
    if (source[pos] === '(') {
      pos++;
      const inner = sum();
      skip();
      if (source[pos] !== ')') fail('expected ")"');
      pos++;
      return inner;
    }
    const m = /^(\d+(?:\.\d*)?|\.\d+)([a-z]*)/i.exec(source.slice(pos));
    if (!m) return fail('expected a number');
    pos += m[0].length;
    const decimal = m[1].includes('.');
    let v = Number(m[1]);
    const suffix = m[2].toLowerCase();
    if (suffix !== '') {
      let factor: number | undefined;
      if (units === 'size') factor = sizeFactor(suffix, kbBase);
      else if (units === 'time') factor = TIME_US[suffix];
      if (factor === undefined) fail(`unknown unit ${JSON.stringify(m[2])}`);
      v *= factor as number;
    }
    return { v, integer: !decimal };
  };
  const unary = (): Value => {
    skip();
    if (source[pos] === '-') {
      pos++;
      const inner = unary();
      return { v: -inner.v, integer: inner.integer };
    }
    if (source[pos] === '+') {
      pos++;
      return unary();
    }
    return primary();
  };
  const power = (): Value => {
    const base = unary();
    skip();
    if (source[pos] === '^') {
      pos++;
      const exponent = power();
      const v = base.v ** exponent.v;
      return { v, integer: base.integer && exponent.integer && exponent.v >= 0 };
    }
    return base;
  };
  const product = (): Value => {
    let left = power();
    for (;;) {
      skip();
      const op = source[pos];
      if (op !== '*' && op !== '/' && op !== '%') return left;
      pos++;
      const right = power();
      const integer = left.integer && right.integer;
      if ((op === '/' || op === '%') && right.v === 0) fail('division by zero');
      if (op === '*') left = { v: left.v * right.v, integer };
      else if (op === '/') left = { v: integer ? Math.trunc(left.v / right.v) : left.v / right.v, integer };
      else left = { v: left.v % right.v, integer };
    }
  };
  const sum = (): Value => {
    let left = product();
    for (;;) {
      skip();
      const op = source[pos];
      if (op !== '+' && op !== '-') return left;
      pos++;
      const right = product();
      left = { v: op === '+' ? left.v + right.v : left.v - right.v, integer: left.integer && right.integer };
    }
  };
  const result = sum();
  skip();
  if (pos !== source.length) fail('unexpected text');
  if (!Number.isFinite(result.v)) throw new FioExpressionError(`${JSON.stringify(text.trim())} is not a finite number`);
  const truncated = Math.trunc(result.v);
  if (!Number.isSafeInteger(truncated)) throw new FioExpressionError(`${JSON.stringify(text.trim())} is too large`);
  return truncated === 0 ? 0 : truncated;
}
