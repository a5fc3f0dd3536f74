// Imported before the generated code so that protobufjs decodes uint64 fields as numbers.
import protobuf from "protobufjs/minimal.js";

(protobuf.util as { Long: unknown }).Long = undefined;
protobuf.configure();
