/**
 * The partial matcher the compatibility expectations are written in (test/compat/README.md,
 * "Matchers"): an expected value says only what it constrains, so an expectation file states what
 * Iter8 semantics fix and nothing that is Assay's free choice. Returns every mismatch, each with
 * its path, so one run of the corpus shows all the reasons a fixture fails.
 */

/** Operator keys an expected object may use instead of a literal value. */
const OPERATORS = new Set(["$min", "$max", "$approx", "$tol", "$contains", "$matches", "$any", "$absent", "$oneOf", "$len", "$not", "$type"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((key) => OPERATORS.has(key));
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function matchOperators(expected: Record<string, unknown>, actual: unknown, path: string, out: string[]): void {
  if (expected["$absent"] === true) {
    if (actual !== undefined) out.push(`${path}: expected absent, got ${show(actual)}`);
    return;
  }
  if (actual === undefined) {
    out.push(`${path}: missing (expected ${show(expected)})`);
    return;
  }
  if (typeof expected["$type"] === "string" && typeName(actual) !== expected["$type"]) {
    out.push(`${path}: expected a ${expected["$type"]}, got ${show(actual)}`);
  }
  if ("$min" in expected || "$max" in expected || "$approx" in expected) {
    if (typeof actual !== "number") {
      out.push(`${path}: expected a number, got ${show(actual)}`);
      return;
    }
    const min = expected["$min"];
    const max = expected["$max"];
    if (typeof min === "number" && actual < min) out.push(`${path}: ${actual} is below ${min}`);
    if (typeof max === "number" && actual > max) out.push(`${path}: ${actual} is above ${max}`);
    const approx = expected["$approx"];
    if (typeof approx === "number") {
      const tol = typeof expected["$tol"] === "number" ? expected["$tol"] : 1e-9;
      if (Math.abs(actual - approx) > tol) out.push(`${path}: ${actual} is not ${approx} ± ${tol}`);
    }
  }
  if ("$contains" in expected) {
    const needle = expected["$contains"];
    if (typeof actual === "string") {
      const needles = Array.isArray(needle) ? needle : [needle];
      for (const one of needles) if (!actual.includes(String(one))) out.push(`${path}: ${show(actual)} does not contain ${show(one)}`);
    } else if (Array.isArray(actual)) {
      const found = actual.some((item) => mismatches(needle, item, path).length === 0);
      if (!found) out.push(`${path}: no element matches ${show(needle)} in ${show(actual)}`);
    } else {
      out.push(`${path}: $contains needs a string or an array, got ${show(actual)}`);
    }
  }
  if (typeof expected["$matches"] === "string") {
    if (typeof actual !== "string" || !new RegExp(expected["$matches"], "s").test(actual)) {
      out.push(`${path}: ${show(actual)} does not match /${expected["$matches"]}/`);
    }
  }
  if (Array.isArray(expected["$oneOf"])) {
    const options = expected["$oneOf"];
    if (!options.some((option) => mismatches(option, actual, path).length === 0)) out.push(`${path}: ${show(actual)} is none of ${show(options)}`);
  }
  if (typeof expected["$len"] === "number") {
    const length = Array.isArray(actual) ? actual.length : typeof actual === "string" ? actual.length : isPlainObject(actual) ? Object.keys(actual).length : undefined;
    if (length !== expected["$len"]) out.push(`${path}: expected length ${expected["$len"]}, got ${length ?? show(actual)}`);
  }
  if ("$not" in expected && mismatches(expected["$not"], actual, path).length === 0) {
    out.push(`${path}: expected anything but ${show(expected["$not"])}`);
  }
}

function collect(expected: unknown, actual: unknown, path: string, out: string[]): void {
  if (isOperatorObject(expected)) {
    matchOperators(expected, actual, path, out);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(`${path}: expected a list of ${expected.length}, got ${show(actual)}`);
      return;
    }
    if (actual.length !== expected.length) out.push(`${path}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`);
    expected.forEach((item, i) => collect(item, actual[i], `${path}[${i}]`, out));
    return;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) {
      out.push(`${path}: expected an object, got ${show(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) collect(value, actual[key], path === "" ? key : `${path}.${key}`, out);
    return;
  }
  if (actual === undefined) {
    out.push(`${path}: missing (expected ${show(expected)})`);
    return;
  }
  if (!Object.is(expected, actual) && !(typeof expected === "number" && typeof actual === "number" && expected === actual)) {
    out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/**
 * Every way `actual` fails `expected`: objects are matched on the keys the expectation names,
 * lists element by element (same length), scalars exactly, and operator objects (`$min`, `$max`,
 * `$approx`/`$tol`, `$contains`, `$matches`, `$any`, `$absent`, `$oneOf`, `$len`, `$not`, `$type`)
 * as documented in test/compat/README.md. Empty when it matches.
 */
export function mismatches(expected: unknown, actual: unknown, path = ""): string[] {
  const out: string[] = [];
  collect(expected, actual, path, out);
  return out;
}

/** Deep equality for rendered experiments: key order is free, values and types must be equal. */
export function deepEqualMismatches(expected: unknown, actual: unknown, path = ""): string[] {
  const out: string[] = [];
  const walk = (e: unknown, a: unknown, p: string): void => {
    if (isOperatorObject(e)) {
      matchOperators(e, a, p, out);
      return;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a)) {
        out.push(`${p}: expected a list, got ${show(a)}`);
        return;
      }
      if (a.length !== e.length) out.push(`${p}: expected ${e.length} items, got ${a.length}`);
      e.forEach((item, i) => walk(item, a[i], `${p}[${i}]`));
      return;
    }
    if (isPlainObject(e)) {
      if (!isPlainObject(a)) {
        out.push(`${p}: expected an object, got ${show(a)}`);
        return;
      }
      for (const key of Object.keys(a)) if (!(key in e)) out.push(`${p === "" ? key : `${p}.${key}`}: not expected, got ${show(a[key])}`);
      for (const [key, value] of Object.entries(e)) walk(value, a[key], p === "" ? key : `${p}.${key}`);
      return;
    }
    if (!Object.is(e, a)) out.push(`${p}: expected ${show(e)} (${typeName(e)}), got ${show(a)} (${typeName(a)})`);
  };
  walk(expected, actual, path);
  return out;
}
