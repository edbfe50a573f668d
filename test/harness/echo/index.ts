// Echo backends for traffic tests: each reports which backend answered and what it saw.
export { type EchoClient, type EchoResponse, echoGrpcClient, startGrpcEcho } from './grpc-echo.ts';
export { startH2cEcho, startHttpEcho, startHttpsEcho } from './http-echo.ts';
export type { EchoProtocol, EchoServer, SeenRequest } from './seen-request.ts';
export { startTcpEcho } from './tcp-echo.ts';
export { createTestCertificates, type TestCertificates } from './test-certificates.ts';
export { startUdpEcho } from './udp-echo.ts';
export { startWebSocketEcho } from './websocket-echo.ts';
