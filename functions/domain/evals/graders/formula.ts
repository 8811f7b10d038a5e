/**
 * The multi grader's `calculate_output`: exactly the arithmetic OpenAI documents — numbers, the
 * graders' names, + - * / ^ (right-associative), unary minus, parentheses, and min max abs floor
 * ceil exp sqrt log — parsed into a tree once and evaluated over the sub-scores. Nothing else is
 * reachable: no `eval`, no `Function`, no member access, no strings.
 *
 * Written here rather than configured out of a general evaluator (expr-eval and mathjs carry
 * strings, assignments, member access and a `Function`-compiling path we would have to switch off
 * one by one): the grammar is five rules and this is all of it.
 */

export type Formula =
  | { kind: 'num'; value: number }
  | { kind: 'var'; name: string }
  | { kind: 'neg'; arg: Formula }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/' | '^'; left: Formula; right: Formula }
  | { kind: 'call'; fn: FormulaFunction; args: Formula[] };

const FUNCTIONS = {
  min: (...a: number[]) => Math.min(...a),
  max: (...a: number[]) => Math.max(...a),
  abs: (x: number) => Math.abs(x),
  floor: (x: number) => Math.floor(x),
  ceil: (x: number) => Math.ceil(x),
  exp: (x: number) => Math.exp(x),
  sqrt: (x: number) => Math.sqrt(x),
  log: (x: number) => Math.log(x),
} as const;
export type FormulaFunction = keyof typeof FUNCTIONS;
const ARITY: Record<FormulaFunction, [number, number]> = {
  min: [1, 64],
  max: [1, 64],
  abs: [1, 1],
  floor: [1, 1],
  ceil: [1, 1],
  exp: [1, 1],
  sqrt: [1, 1],
  log: [1, 1],
};

export class FormulaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormulaError';
  }
}

type Token = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string } | { t: 'end' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if ('+-*/^(),'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    throw new FormulaError(`unexpected character "${c}" at position ${i + 1}`);
  }
  out.push({ t: 'end' });
  return out;
}

/** Parses a formula; every name must be one of `variables` (the multi grader's graders). */
export function parseFormula(src: string, variables: readonly string[]): Formula {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (v: string) => {
    const t = peek();
    return t.t === 'op' && t.v === v;
  };
  const expect = (v: string) => {
    if (!isOp(v)) throw new FormulaError(`expected "${v}" ${where()}`);
    pos++;
  };
  const where = () => {
    const t = peek();
    return t.t === 'end' ? 'at the end' : `before "${t.v}"`;
  };

  // expr := term (('+'|'-') term)* ; term := unary (('*'|'/') unary)* ; unary := '-' unary | power
  // power := atom ('^' unary)? ; atom := number | name | fn '(' expr (',' expr)* ')' | '(' expr ')'
  const expr = (): Formula => {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[pos++] as { v: '+' | '-' }).v;
      left = { kind: 'bin', op, left, right: term() };
    }
    return left;
  };
  const term = (): Formula => {
    let left = unary();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[pos++] as { v: '*' | '/' }).v;
      left = { kind: 'bin', op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Formula => {
    if (isOp('-')) {
      pos++;
      return { kind: 'neg', arg: unary() };
    }
    if (isOp('+')) {
      pos++;
      return unary();
    }
    return power();
  };
  const power = (): Formula => {
    const base = atom();
    if (isOp('^')) {
      pos++;
      return { kind: 'bin', op: '^', left: base, right: unary() };
    }
    return base;
  };
  const atom = (): Formula => {
    const t = peek();
    if (t.t === 'num') {
      pos++;
      return { kind: 'num', value: t.v };
    }
    if (t.t === 'id') {
      pos++;
      if (isOp('(')) {
        if (!Object.hasOwn(FUNCTIONS, t.v))
          throw new FormulaError(`unknown function "${t.v}" (allowed: ${Object.keys(FUNCTIONS).join(', ')})`);
        const fn = t.v as FormulaFunction;
        pos++;
        const args = [expr()];
        while (isOp(',')) {
          pos++;
          args.push(expr());
        }
        expect(')');
        const [lo, hi] = ARITY[fn];
        if (args.length < lo || args.length > hi)
          throw new FormulaError(`${fn} takes ${lo === hi ? lo : `${lo} to ${hi}`} argument(s)`);
        return { kind: 'call', fn, args };
      }
      if (!variables.includes(t.v))
        throw new FormulaError(
          `unknown name "${t.v}" (the formula may use the graders' names: ${variables.join(', ') || 'none'})`,
        );
      return { kind: 'var', name: t.v };
    }
    if (isOp('(')) {
      pos++;
      const inner = expr();
      expect(')');
      return inner;
    }
    throw new FormulaError(`expected a number, a grader name or "(" ${where()}`);
  };

  const tree = expr();
  if (peek().t !== 'end') throw new FormulaError(`unexpected ${where().replace('before ', '')}`);
  return tree;
}

export function evaluateFormula(f: Formula, values: Readonly<Record<string, number>>): number {
  switch (f.kind) {
    case 'num':
      return f.value;
    case 'var':
      return values[f.name];
    case 'neg':
      return -evaluateFormula(f.arg, values);
    case 'call': {
      const args = f.args.map((a) => evaluateFormula(a, values));
      return (FUNCTIONS[f.fn] as (...a: number[]) => number)(...args);
    }
    case 'bin': {
      const l = evaluateFormula(f.left, values);
      const r = evaluateFormula(f.right, values);
      if (f.op === '+') return l + r;
      if (f.op === '-') return l - r;
      if (f.op === '*') return l * r;
      if (f.op === '/') return l / r;
      return l ** r;
    }
  }
}
