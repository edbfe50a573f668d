// The Gateway API conformance suite and its echo server, built from the published
// sigs.k8s.io/gateway-api/conformance module at the version of the CRDs we install: the suite refuses to
// start when the installed CRDs carry another bundle version.
import { createHash } from 'node:crypto';
import { GATEWAY_API_VERSION } from './gateway-api-crds.ts';
import { provisionGoBinary } from './go-binary.ts';

const modules = {
  'sigs.k8s.io/gateway-api': GATEWAY_API_VERSION,
  // The suite's own go.mod points sigs.k8s.io/gateway-api at ../, which a consumer ignores: require both.
  'sigs.k8s.io/gateway-api/conformance': GATEWAY_API_VERSION,
};

/** The echo server behind every conformance backend (HTTP :3000, h2c :3001, TLS :8443, gRPC, TCP). */
export function provisionEchoBasic(): Promise<string> {
  return provisionGoBinary({
    part: 'echo-basic',
    version: GATEWAY_API_VERSION,
    mainPackage: 'sigs.k8s.io/gateway-api/conformance/echo-basic',
    require: modules,
  });
}

// The whole runner: the suite reads everything else (kubeconfig, GatewayClass, profiles, report) from flags.
const RUNNER_TEST = `package runner

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
`;

/** A test binary that runs the suite: `conformance.test -test.run TestConformance -- --gateway-class=…`. */
export function provisionConformanceRunner(): Promise<string> {
  const source = createHash('sha256').update(RUNNER_TEST).digest('hex').slice(0, 12);
  return provisionGoBinary({
    part: 'gateway-api-conformance',
    version: `${GATEWAY_API_VERSION}-${source}`,
    mainPackage: 'switchyard.test/provision/gateway-api-conformance',
    require: modules,
    sources: { 'runner_test.go': RUNNER_TEST },
    testBinary: true,
  });
}
