// Lint: type-aware rules so floating promises and misused promises are caught, and the folder
// boundaries of docs/architecture.md kept by the linter rather than by review:
// - production code imports another top-level folder only through its index.ts;
// - dependencies point one way (cli → coordinator, agent, ops → core; agent and coordinator never
//   import each other);
// - no import cycles (type-only imports excepted: they vanish at run time);
// - a switch over a union handles every member.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

/** The top-level folders of production code, and which others each may import (through index.ts). */
const FOLDERS = {
  core: [],
  agent: ["core"],
  coordinator: ["core"],
  ops: ["core"],
  cli: ["core", "agent", "coordinator", "ops"],
};

/** One zone per pair of folders: a folder may reach another only through its entry, or not at all. */
const boundaryZones = Object.entries(FOLDERS).flatMap(([target, allowed]) =>
  Object.keys(FOLDERS)
    .filter((from) => from !== target)
    .map((from) =>
      allowed.includes(from)
        ? {
            target: `./${target}`,
            from: `./${from}`,
            except: ["./index.ts"],
            message: `${target}/ imports ${from}/ only through ${from}/index.ts (its public entry).`,
          }
        : {
            target: `./${target}`,
            from: `./${from}`,
            message: `${target}/ must not import ${from}/ (dependencies point cli → coordinator, agent, ops → core).`,
          },
    ),
);

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "core/proto/gen/**", "bin/**", "scripts/**", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    settings: {
      // no-cycle parses the files an import leads to: with the TypeScript parser for .ts files.
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "no-restricted-syntax": ["error", { selector: "TSEnumDeclaration", message: "Use `as const` objects, not enums (STYLE.md)." }],
      "no-console": "error",
      "max-lines-per-function": ["error", { max: 160, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["core/**/*.ts", "agent/**/*.ts", "coordinator/**/*.ts", "cli/**/*.ts", "ops/**/*.ts"],
    rules: { "import-x/no-restricted-paths": ["error", { zones: boundaryZones }] },
  },
  {
    // The byte-level HTTP/1.1 parser is one state machine: split up, it would read worse and run slower.
    files: ["agent/engine/http1-parser.ts"],
    rules: { "max-lines-per-function": "off" },
  },
  {
    files: ["cli/**/*.ts", "test/**/*.ts"],
    rules: { "no-console": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
