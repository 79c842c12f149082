// StreamingWebSocket: the WebSocket and SSE transport of the real-time protocol.
//
// The protocol itself lives in StreamingApplication (`ConnectionHub`, `AgentStreamService`);
// this target only translates frames and HTTP requests to those calls.
import StreamingApplication
