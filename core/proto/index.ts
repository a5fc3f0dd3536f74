/**
 * The generated protobuf messages (from proto/, by `npm run gen`). 64-bit integers decode as
 * JavaScript numbers: counts stay far below 2^53 and numbers keep arithmetic simple.
 */
import "./numbers-not-longs.js";
import { ErrorCode, TransportError } from "../errors.js";
import { assay } from "./gen/assay.js";

/** Message classes: `pb.IntervalReport.encode(...)`, `pb.IntervalReport.decode(bytes)`. */
export const pb = assay.v1;

export type Hello = assay.v1.Hello;
export type Heartbeat = assay.v1.Heartbeat;
export type Control = assay.v1.Control;
export type ControlReply = assay.v1.ControlReply;
export type Assign = assay.v1.Assign;
export type Start = assay.v1.Start;
export type Cancel = assay.v1.Cancel;
export type Adjust = assay.v1.Adjust;
export type ShardSpec = assay.v1.ShardSpec;
export type SeriesLoad = assay.v1.SeriesLoad;
export type RequestSpec = assay.v1.RequestSpec;
export type LoadModel = assay.v1.LoadModel;
export type Stage = assay.v1.Stage;
export type StatusRange = assay.v1.StatusRange;
export type SeriesStats = assay.v1.SeriesStats;
export type IntervalReport = assay.v1.IntervalReport;
export type ShardDone = assay.v1.ShardDone;
export type AgentEnvelope = assay.v1.AgentEnvelope;
export type CoordinatorEnvelope = assay.v1.CoordinatorEnvelope;
/** Plain-object ("properties") forms, for building messages. */
export type ShardSpecInit = assay.v1.ShardSpec.$Properties;
export type SeriesLoadInit = assay.v1.SeriesLoad.$Properties;
export type GrpcCallInit = assay.v1.GrpcCall.$Properties;
export type SeriesStatsInit = assay.v1.SeriesStats.$Properties;
export type IntervalReportInit = assay.v1.IntervalReport.$Properties;
export type ShardDoneInit = assay.v1.ShardDone.$Properties;
export type ControlInit = assay.v1.Control.$Properties;
export type ControlReplyInit = assay.v1.ControlReply.$Properties;
export type HelloInit = assay.v1.Hello.$Properties;

/**
 * Decodes a message that arrived from the network: what does not decode is a TransportError
 * MALFORMED_MESSAGE naming the message kind (protobufjs throws plain errors).
 */
export function decodeMessage<M>(codec: { decode(bytes: Uint8Array): M }, kind: string, bytes: Uint8Array): M {
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new TransportError(ErrorCode.MalformedMessage, `a malformed ${kind} message (${bytes.length} bytes): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
