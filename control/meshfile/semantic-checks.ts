/** Dispatches the context-free semantic checks of one document by kind. */
import type { DestinationRuleSpec } from './destination-rule-spec.ts';
import { checkDestinationRule } from './destination-rule-checks.ts';
import type { DocReporter } from './doc-reporter.ts';
import type { MeshfileKind } from './kinds.ts';
import { checkVirtualService } from './virtual-service-checks.ts';
import type { VirtualServiceSpec } from './virtual-service-spec.ts';

export function checkSemantics(kind: MeshfileKind, spec: unknown, r: DocReporter): void {
  switch (kind) {
    case 'VirtualService':
      checkVirtualService(spec as VirtualServiceSpec, r);
      break;
    case 'DestinationRule':
      checkDestinationRule(spec as DestinationRuleSpec, r);
      break;
    default:
      break;
  }
}
