// Resources are built as proto3 JSON (lowerCamelCase field names) of the messages in protos/agentgateway/.
export type Json = Record<string, unknown>;
