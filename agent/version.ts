/** The version agents announce in their Hello: the package's (core/version.ts). */
import { VERSION } from "../core/index.js";

export const AGENT_VERSION: string = VERSION;
