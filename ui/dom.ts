/**
 * Building the page's DOM without HTML strings: every text goes through textContent and every
 * attribute through setAttribute, so nothing from the data is ever parsed as markup.
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child as string | number)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

const groups = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function fmtCount(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? groups.format(value) : "—";
}

/** Three significant digits ("12.3", "0.456", "1,230"). */
export function fmtSig(value: number | null | undefined, digits = 3): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  if (value === 0) return "0";
  if (Math.abs(value) < 1e-4) return value.toExponential(digits - 1);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: decimals, minimumFractionDigits: 0 }).format(Number(value.toPrecision(digits)));
}

export function fmtMs(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? `${fmtSig(value)} ms` : "—";
}

export function fmtPercent(fraction: number | null | undefined): string {
  return typeof fraction === "number" && Number.isFinite(fraction) ? `${fmtSig(fraction * 100)}%` : "—";
}

export function fmtRate(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? `${fmtSig(value)}/s` : "—";
}

export function fmtTime(epochMs: number | null | undefined): string {
  if (typeof epochMs !== "number" || epochMs <= 0) return "—";
  return new Date(epochMs).toLocaleString("en-GB", { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function fmtClock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function fmtDuration(ms: number | null | undefined): string {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${fmtSig(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return m < 60 ? `${m} min ${rest} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"] as const;

export function versionColor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? "#0072B2";
}
