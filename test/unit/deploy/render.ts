/**
 * Test helpers for deploy/: finds the repository, renders a kustomization with the kustomize built
 * into kubectl, and gives typed access to the objects (shared by the manifest and NATS tests).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The repository root (works from test/… under tsx and from dist/test/… after the build). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "assay" && existsSync(join(dir, "deploy"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("repository root (package.json of assay with deploy/) not found above the test file");
}

/** Parses a multi-document YAML text; throws on any syntax error. */
export function parseDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

/** `kubectl kustomize <deploy/relPath>` parsed into objects. */
export function render(relPath: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync("kubectl", ["kustomize", join(repoRoot(), "deploy", relPath)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`kubectl kustomize deploy/${relPath} failed (kubectl with built-in kustomize is required): ${stderr || String(error)}`, { cause: error });
  }
  return parseDocuments(out, `kustomize ${relPath}`) as K8sObject[];
}

/** The object of `kind` named `name`, or generated from it (`name-<hash>`, configMapGenerator). */
export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const generated = new RegExp(`^${name.replace(/[.]/g, "\\.")}-[a-z0-9]{10}$`);
  const found = objects.filter((o) => o.kind === kind && (o.metadata.name === name || generated.test(o.metadata.name)));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!;
}
