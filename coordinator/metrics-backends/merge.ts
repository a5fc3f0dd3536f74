/**
 * Iter8's merge of custommetrics `values` with one `versionValues` entry (mergo's
 * MergeWithOverwrite): maps merge key by key, recursively; any other value of the entry replaces
 * the shared one (lists are replaced, not appended), except an empty one (null, "", 0, false, an
 * empty list or map), which keeps the shared value — mergo does not overwrite with empty values.
 */
type Raw = Record<string, unknown>;

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === "" || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isMap(value) && Object.keys(value).length === 0;
}

/** A new map: `shared` with `own` merged over it, deeply. Neither input is modified. */
export function mergeValuesDeep(shared: Raw, own: Raw): Raw {
  const out: Raw = structuredClone(shared);
  for (const [key, value] of Object.entries(own)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    if (isMap(current) && isMap(value)) out[key] = mergeValuesDeep(current, value);
    else if (!Object.hasOwn(out, key) || !isEmpty(value)) out[key] = structuredClone(value);
  }
  return out;
}
